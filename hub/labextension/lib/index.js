// @northlab/lab: one place to go (the northlab menu) and one language for every page.
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { PageConfig } from '@jupyterlab/coreutils';
import { Menu } from '@lumino/widgets';

import { translateAssignments } from './assignments';
import { showInstantFeedback } from './instant';
import { LANGUAGES, translator } from './catalogue';
import { switchLanguage, syncLanguage, useHubFonts } from './language';

/** Addresses of the hub's pages and services, from JupyterHub's page config. */
function places() {
  const hubPrefix = PageConfig.getOption('hubPrefix') || '/hub/';
  const origin = PageConfig.getOption('hubHost') || '';
  const root = origin + hubPrefix.replace(/hub\/?$/, '');
  return {
    progress: `${root}services/gradebook/me`,
    credentials: `${root}services/credentials/`,
    gradebook: `${root}services/gradebook/program`,
    hub: `${origin}${hubPrefix}home`
  };
}

/** Staff (instructors) see the gradebook; the role comes from the server's page config. */
function isStaff() {
  return (PageConfig.getOption('northlabRole') || 'learner') !== 'learner';
}

const plugin = {
  id: '@northlab/lab:menu',
  description: 'The northlab menu and the shared language choice.',
  autoStart: true,
  requires: [ISettingRegistry],
  optional: [IMainMenu],
  activate: async (app, registry, mainMenu) => {
    useHubFonts();
    const language = await syncLanguage(registry);
    const t = translator(language);
    translateAssignments(language);
    if (!isStaff()) {
      showInstantFeedback();
    }
    if (!mainMenu) {
      return;
    }
    const urls = places();
    const menu = new Menu({ commands: app.commands });
    menu.id = 'northlab-menu';
    menu.title.label = t('lab.menu');
    const links = [
      ['progress', 'lab.progress'],
      ['credentials', 'lab.credentials'],
      ...(isStaff() ? [['gradebook', 'lab.gradebook']] : []),
      ['hub', 'lab.hub']
    ];
    for (const [place, label] of links) {
      const command = `northlab:open-${place}`;
      app.commands.addCommand(command, {
        label: t(label),
        execute: () => window.open(urls[place], '_blank', 'noopener')
      });
      menu.addItem({ command });
    }
    const languages = new Menu({ commands: app.commands });
    languages.title.label = t('lab.language');
    for (const code of LANGUAGES) {
      const command = `northlab:language-${code}`;
      app.commands.addCommand(command, {
        label: translator(code)('language.name'),
        isToggled: () => code === language,
        execute: () => switchLanguage(registry, code)
      });
      languages.addItem({ command });
    }
    menu.addItem({ type: 'separator' });
    menu.addItem({ type: 'submenu', submenu: languages });
    mainMenu.addMenu(menu, true, { rank: 5 });
  }
};

export default [plugin];

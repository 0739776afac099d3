// The one language choice of every northlab page: the `northlab-lang` cookie (hub/language.py),
// remembered for each person by the hub (hub/user_language.py).
import { PageConfig } from '@jupyterlab/coreutils';

import { LANGUAGES } from './catalogue';

const COOKIE = 'northlab-lang';
const YEAR_SECONDS = 365 * 24 * 3600;
const RELOADED = 'northlab-lang-reloaded';
const TRANSLATION_PLUGIN = '@jupyterlab/translation-extension:plugin';
// JupyterLab locale (language pack) of each northlab language; JupyterLab has no Inuktitut
// pack, so its own menus stay in English while northlab's texts are in Inuktitut.
const LAB_LOCALES = { en: 'en', fr: 'fr_FR', iu: 'en' };

export function cookieLanguage() {
  const match = document.cookie.match(/(?:^|;\s*)northlab-lang=([a-z]{2,3})(?:;|$)/);
  return match && LANGUAGES.includes(match[1]) ? match[1] : null;
}

export function rememberLanguage(language) {
  document.cookie = `${COOKIE}=${language}; path=/; max-age=${YEAR_SECONDS}; SameSite=Lax`;
}

function labLocaleOf(language) {
  return LAB_LOCALES[language] || 'en';
}

function languageOfLocale(locale) {
  return typeof locale === 'string' && locale.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** Keep JupyterLab's language and the cookie the same; returns the language in use. */
export async function syncLanguage(registry) {
  let settings;
  try {
    settings = await registry.load(TRANSLATION_PLUGIN);
  } catch (error) {
    return cookieLanguage() || 'en';
  }
  const inLab = settings.get('locale').composite;
  const chosen = cookieLanguage();
  // Once per tab and language: a setting that does not stick never reloads in a loop.
  if (chosen && labLocaleOf(chosen) !== inLab && sessionStorage.getItem(RELOADED) !== chosen) {
    try {
      await settings.set('locale', labLocaleOf(chosen));
      sessionStorage.setItem(RELOADED, chosen);
      window.location.reload();
      return chosen;
    } catch (error) {
      console.warn('northlab: could not switch JupyterLab to', chosen, error);
    }
  }
  if (chosen === null) {
    rememberLanguage(languageOfLocale(inLab));
  } else if (labLocaleOf(chosen) === inLab) {
    sessionStorage.removeItem(RELOADED);
  }
  // JupyterLab's own Settings > Language menu: the cookie follows it (before its reload).
  settings.changed.connect(() => {
    const locale = settings.get('locale').composite;
    if (labLocaleOf(cookieLanguage()) !== locale) {
      rememberLanguage(languageOfLocale(locale));
    }
  });
  return chosen || languageOfLocale(inLab);
}

/** Choose a language for every northlab page: the hub remembers it for this person and
 * brings JupyterLab back, in that language. */
export async function switchLanguage(registry, language) {
  rememberLanguage(language);
  try {
    const settings = await registry.load(TRANSLATION_PLUGIN);
    await settings.set('locale', labLocaleOf(language));
  } finally {
    const hubPrefix = PageConfig.getOption('hubPrefix') || '/hub/';
    const here = window.location.pathname + window.location.search;
    window.location.assign(`${hubPrefix}northlab/language?lang=${language}` +
                           `&next=${encodeURIComponent(here)}`);
  }
}

// JupyterLab 4's own font stack (its themes' --jp-ui-font-family and --jp-content-font-family).
const LAB_FONTS = 'system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, ' +
  'sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol"';

/** Syllabics render even where the computer has no such font: the hub serves one
 * (hub/fonts/fonts.css; its unicode-range leaves every other character to JupyterLab's fonts). */
export function useHubFonts() {
  const hubPrefix = PageConfig.getOption('hubPrefix') || '/hub/';
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = `${hubPrefix}northlab/fonts/fonts.css`;
  document.head.appendChild(link);
  for (const variable of ['--jp-ui-font-family', '--jp-content-font-family']) {
    document.documentElement.style.setProperty(
      variable, `"Noto Sans Canadian Aboriginal", ${LAB_FONTS}`);
  }
}

// The one language choice of every northlab page: the `northlab-lang` cookie (hub/language.py).
const COOKIE = 'northlab-lang';
const YEAR_SECONDS = 365 * 24 * 3600;
const RELOADED = 'northlab-lang-reloaded';
const TRANSLATION_PLUGIN = '@jupyterlab/translation-extension:plugin';
// JupyterLab locale (language pack) of each northlab language.
const LAB_LOCALES = { en: 'en', fr: 'fr_FR' };

export function cookieLanguage() {
  const match = document.cookie.match(/(?:^|;\s*)northlab-lang=(en|fr)(?:;|$)/);
  return match ? match[1] : null;
}

export function rememberLanguage(language) {
  document.cookie = `${COOKIE}=${language}; path=/; max-age=${YEAR_SECONDS}; SameSite=Lax`;
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
  const inLab = languageOfLocale(settings.get('locale').composite);
  const chosen = cookieLanguage();
  // Once per tab and language: a setting that does not stick never reloads in a loop.
  if (chosen && chosen !== inLab && sessionStorage.getItem(RELOADED) !== chosen) {
    try {
      await settings.set('locale', LAB_LOCALES[chosen]);
      sessionStorage.setItem(RELOADED, chosen);
      window.location.reload();
      return chosen;
    } catch (error) {
      console.warn('northlab: could not switch JupyterLab to', chosen, error);
    }
  }
  if (chosen === inLab) {
    sessionStorage.removeItem(RELOADED);
  } else if (!chosen) {
    rememberLanguage(inLab);
  }
  // JupyterLab's own Settings > Language menu: the cookie follows it (before its reload).
  settings.changed.connect(() => {
    rememberLanguage(languageOfLocale(settings.get('locale').composite));
  });
  return inLab;
}

/** Choose a language for every northlab page and reload JupyterLab in it. */
export async function switchLanguage(registry, language) {
  rememberLanguage(language);
  try {
    const settings = await registry.load(TRANSLATION_PLUGIN);
    await settings.set('locale', LAB_LOCALES[language]);
  } finally {
    window.location.reload();
  }
}

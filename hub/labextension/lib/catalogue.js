// northlab's hub catalogue (gettext PO files in hub/locale), exported to messages.json by
// `make` (python -m northlab.i18n json hub/locale) and bundled when the extension is built.
import CATALOGUES from './messages.json';

const { en } = CATALOGUES;
export { CATALOGUES };
export const LANGUAGES = Object.keys(CATALOGUES);

export function translator(language) {
  const messages = CATALOGUES[language] || en;
  return id => messages[id] || en[id] || id;
}

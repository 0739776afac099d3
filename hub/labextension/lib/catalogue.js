// northlab's hub catalogue (hub/locale/*.json), bundled when the extension is built.
import en from '../../locale/en.json';
import fr from '../../locale/fr.json';

export const CATALOGUES = { en, fr };
export const LANGUAGES = Object.keys(CATALOGUES);

export function translator(language) {
  const messages = CATALOGUES[language] || en;
  return id => messages[id] || en[id] || id;
}

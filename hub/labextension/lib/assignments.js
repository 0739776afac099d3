// nbgrader's Assignments tab and its dialogs hard-code English: show the learner the texts
// of northlab's catalogue (`nbgrader.*` messages, whose English text is nbgrader's own).
import { CATALOGUES } from './catalogue';

// Only nbgrader's widgets and JupyterLab's chrome; never editors or notebook outputs.
const SCOPE = [
  '#assignments', '.jp-Dialog', '.lm-TabBar-tab', '.lm-Menu', '.lm-MenuBar',
  '.jp-ToolbarButtonComponent', '.lm-CommandPalette', '.jp-StatusBar-Widget'
].join(',');
const NEVER = '.cm-editor, .jp-OutputArea, .jp-RenderedMarkdown, [contenteditable="true"]';

export function replacements(language) {
  const table = new Map();
  const english = CATALOGUES.en;
  const target = CATALOGUES[language] || {};
  for (const id of Object.keys(english)) {
    if (id.startsWith('nbgrader.') && target[id] && target[id] !== english[id]) {
      table.set(english[id], target[id]);
    }
  }
  return table;
}

function translateText(node, table) {
  const text = node.nodeValue;
  const trimmed = text.trim();
  const wanted = trimmed && table.get(trimmed);
  if (!wanted) {
    return;
  }
  const parent = node.parentElement;
  if (!parent || !parent.closest(SCOPE) || parent.closest(NEVER)) {
    return;
  }
  node.nodeValue = text.replace(trimmed, wanted);
}

function translateTree(root, table) {
  if (root.nodeType === Node.TEXT_NODE) {
    translateText(root, table);
    return;
  }
  if (root.nodeType !== Node.ELEMENT_NODE) {
    return;
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    translateText(node, table);
  }
  for (const element of [root, ...root.querySelectorAll('[title]')]) {
    const title = element.getAttribute('title');
    if (title && table.has(title) && element.closest(SCOPE)) {
      element.setAttribute('title', table.get(title));
    }
  }
}

/** Translate nbgrader's texts now and whenever nbgrader writes new ones. */
export function translateAssignments(language) {
  const table = replacements(language);
  if (table.size === 0) {
    return null;
  }
  translateTree(document.body, table);
  const observer = new MutationObserver(mutations => {
    for (const mutation of mutations) {
      if (mutation.type === 'characterData') {
        translateText(mutation.target, table);
      } else {
        mutation.addedNodes.forEach(node => translateTree(node, table));
      }
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  return observer;
}

// Instant feedback in the Assignments tab: for labs graded on submit, the learner's
// submissions with their queue position, score and each visible test's feedback. Texts come
// translated from the server (`assignments/instant`, hub/services/feedback/view.py).
import { ServerConnection } from '@jupyterlab/services';
import { URLExt } from '@jupyterlab/coreutils';

const BUSY_MS = 2000; // while a submission waits or is being graded
const IDLE_MS = 15000;

async function fetchInstant(settings) {
  const url = URLExt.join(settings.baseUrl, 'assignments/instant');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  return response.json();
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

function render(section, answer) {
  section.replaceChildren();
  if (!answer.success) {
    section.append(element('p', 'northlab-instant-error', answer.value));
    return;
  }
  if (answer.value.length === 0) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  section.append(element('h2', '', answer.heading));
  const list = element('ul');
  for (const entry of answer.value) {
    const item = element('li', `northlab-instant-${entry.state}`);
    const title = [entry.assignment_id, entry.title].filter(Boolean).join(' · ');
    item.append(element('strong', '', title), element('span', '', ` ${entry.message}`));
    if (entry.tests.length || entry.hidden) {
      const tests = element('ul');
      for (const test of entry.tests) {
        tests.append(element('li', test.passed ? 'passed' : 'failed',
          `${test.passed ? '✓' : '✗'} ${test.text}`));
      }
      if (entry.hidden) {
        tests.append(element('li', '', entry.hidden));
      }
      item.append(tests);
    }
    list.append(item);
  }
  section.append(list);
}

/** Keep a live instant-feedback section at the top of the Assignments tab. */
export function showInstantFeedback() {
  const settings = ServerConnection.makeSettings();
  const section = element('section', 'northlab-instant');
  section.setAttribute('aria-live', 'polite');
  section.hidden = true;
  const tick = async () => {
    const panel = document.getElementById('assignments');
    let wait = IDLE_MS;
    if (panel && panel.offsetParent !== null) {
      if (!panel.contains(section)) {
        panel.prepend(section);
      }
      try {
        const answer = await fetchInstant(settings);
        render(section, answer);
        if (answer.success && answer.value.some(e => ['queued', 'grading'].includes(e.state))) {
          wait = BUSY_MS;
        }
      } catch (error) {
        console.warn('northlab: instant feedback unavailable', error);
      }
    } else {
      wait = BUSY_MS; // look again soon for the tab being opened
    }
    window.setTimeout(tick, wait);
  };
  tick();
}

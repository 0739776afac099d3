// Foundations pages: say what is happening while a form is sent (a check takes a while),
// keep a second click from sending it twice, and after an action take the keyboard and
// the screen reader to its result. Every page works without this file.
(function () {
  'use strict';
  var sending = false;
  document.addEventListener('submit', function (event) {
    if (sending) {
      event.preventDefault();
      return;
    }
    sending = true;
    var button = event.submitter;
    var result = document.getElementById('result');
    if (button) {
      button.setAttribute('aria-disabled', 'true');
    }
    if (result && button && button.dataset.busy) {
      result.className = 'result';
      result.textContent = '';
      var note = document.createElement('p');
      note.textContent = button.dataset.busy;
      if (button.dataset.busyLang) {
        note.lang = button.dataset.busyLang;
      }
      result.appendChild(note);
    }
  });
  window.addEventListener('pageshow', function () {
    sending = false;
    var result = document.getElementById('result');
    if (result && result.textContent.trim() &&
        performance.getEntriesByType('navigation')[0].type !== 'back_forward') {
      result.focus();
    }
  });
}());

// Answers JupyterLab's first GET requests from the answers the lab page carries
// (hub/firstscreen.py); any other request, or a repeat, goes to the network.
(function () {
  'use strict';
  var LIFETIME_MS = 20000;
  var node = document.getElementById('northlab-first-screen');
  var answers = JSON.parse(node.textContent);
  var network = window.fetch.bind(window);
  var expires = null;
  var settingsList = null;
  var base = JSON.parse(document.getElementById('jupyter-config-data').textContent).baseUrl;
  var settingsPrefix = base + 'lab/api/settings/';

  // Path and query as the server reads them: without JupyterLab's cache-busting timestamp
  // and its empty content provider.
  function key(url) {
    var parsed = new URL(url, window.location.href);
    if (parsed.origin !== window.location.origin) {
      return null;
    }
    var query = parsed.search.slice(1).split('&').filter(function (part) {
      return part && !/^\d+$/.test(part) && part !== 'contentProviderId=undefined';
    });
    return parsed.pathname + (query.length ? '?' + query.join('&') : '');
  }

  // The service a URL belongs to: a write to it drops its answers.
  function service(path) {
    var parts = path.slice(base.length).split('?')[0].split('/');
    var name = parts[0] === 'lab' ? parts[2] : parts[1];
    return name === 'sessions' ? 'kernels' : name;
  }

  // A write drops the answers it may change: a workspace save the workspace's, any other
  // write all of them (a lab fetched, a file made...).
  function forget(name) {
    Object.keys(answers).forEach(function (path) {
      if (name !== 'workspaces' || service(path) === name) {
        delete answers[path];
      }
    });
    if (name !== 'workspaces') {
      settingsList = null;
    }
  }

  // Answers serve the lab's opening only: not once the learner acts (a key, a click).
  ['keydown', 'pointerdown'].forEach(function (type) {
    window.addEventListener(type, function () { expires = 0; }, { capture: true, once: true });
  });

  // Kernels and terminals change on their own: answered once. The rest (settings, files,
  // kernelspecs...) while the lab opens, as it asks some again, until this page writes them.
  function volatile(path) {
    var name = service(path);
    return name === 'kernels' || name === 'terminals';
  }

  // One plugin's settings, as GET lab/api/settings/<id> answers: its entry in the list.
  function pluginSettings(path) {
    if (settingsList === null || path.indexOf(settingsPrefix) !== 0 || path.indexOf('?') >= 0) {
      return null;
    }
    var id = decodeURIComponent(path.slice(settingsPrefix.length));
    var found = settingsList.filter(function (plugin) { return plugin.id === id; })[0];
    if (!found) {
      return null;
    }
    var alone = Object.assign({}, found);
    delete alone.warning; // the list's entries carry it, the server's one-plugin answer not
    return JSON.stringify(alone);
  }

  function answer(path) {
    if (Object.prototype.hasOwnProperty.call(answers, path)) {
      var body = answers[path];
      if (volatile(path)) {
        delete answers[path];
      }
      if (path === base + 'lab/api/settings') {
        settingsList = JSON.parse(body).settings;
      }
      return body;
    }
    return pluginSettings(path);
  }

  // The workspace (the lab's layout) is saved in the background while the lab opens:
  // JupyterLab waits for that save before it opens the file. Saves keep their order, and
  // the workspace's other requests wait for them.
  var saving = Promise.resolve();
  function saveInBackground(input, init) {
    var sent = saving.then(function () { return network(input, init); });
    saving = sent.then(function (response) {
      if (!response.ok) {
        console.warn('northlab: the workspace was not saved', response.status);
      }
    }, function (error) {
      console.warn('northlab: the workspace was not saved', error);
    });
    return Promise.resolve(new Response(null, { status: 204 }));
  }

  window.fetch = function (input, init) {
    var request = typeof input === 'object' && input !== null && 'url' in input ? input : null;
    var method = ((init && init.method) || (request && request.method) || 'GET').toUpperCase();
    var path = key(request ? request.url : String(input));
    if (expires === null) {
      expires = Date.now() + LIFETIME_MS;
    }
    if (path === null || path.indexOf(base) !== 0) {
      return network(input, init);
    }
    var name = service(path);
    var opening = Date.now() < expires;
    if (method === 'GET' && opening) {
      var body = answer(path);
      if (body !== null) {
        return Promise.resolve(new Response(body, {
          status: 200, headers: { 'Content-Type': 'application/json' }
        }));
      }
    } else if (method !== 'GET' && method !== 'HEAD') {
      forget(name);
      if (method === 'PUT' && name === 'workspaces' && opening) {
        return saveInBackground(input, init);
      }
    }
    if (name === 'workspaces') {
      return saving.then(function () { return network(input, init); });
    }
    return network(input, init);
  };
})();

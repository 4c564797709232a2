// Rewrites the "preload" list of manifest.json from the firmware modules the
// manifest maps (mcconfig's preload wildcards match only .js modules, so the
// TypeScript modules are listed one by one). Run after adding or removing a
// module: npx tsx build/sync-preload.ts  (host-tests/device checks the list).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, manifestModules } from '../host-tests/device/manifest-model';

const path = join(REPO, 'manifest.json');
const manifest = JSON.parse(readFileSync(path, 'utf8')) as { preload?: string[] };
const { files } = manifestModules(path);
manifest.preload = [...new Set(files.filter((f) => f.ext === '.ts' || f.ext === '.js').map((f) => f.target))].sort();
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`manifest.json: ${manifest.preload.length} modules preloaded`);

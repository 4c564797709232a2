// Rewrites the "preload" list of the library manifest (manifest_lwm2m.json)
// from the firmware modules it maps (mcconfig's preload wildcards match only
// .js modules, so the TypeScript modules are listed one by one). An app's own
// modules (the reference firmware's main, an example's main) are preloaded by
// the app's manifest. Run after adding or removing a module:
// npx tsx build/sync-preload.ts  (host-tests/device checks the list).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, manifestModules } from './manifest-model';

const path = join(REPO, 'manifest_lwm2m.json');
const manifest = JSON.parse(readFileSync(path, 'utf8')) as { preload?: string[] };
const { files } = manifestModules(path);
manifest.preload = [...new Set(files.filter((f) => f.ext === '.ts' || f.ext === '.js').map((f) => f.target))].sort();
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`manifest_lwm2m.json: ${manifest.preload.length} modules preloaded`);

// Firmware JavaScript footprint (proxy for what mcconfig compiles to XS
// bytecode and links into flash): every module the library manifest and the
// reference firmware's map,
// transpiled to ES2022 by esbuild, per firmware folder. Prints a table.
// Run: npm run bench firmware-size
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { transformSync } from 'esbuild';
import { REPO, manifestModules } from '../../build/manifest-model';

const files = [`${REPO}/manifest_lwm2m.json`, `${REPO}/manifest.json`].flatMap((m) => manifestModules(m).files);
const rows = new Map<string, { modules: number; ts: number; js: number; min: number }>();
for (const f of files) {
  if (f.ext !== '.ts') continue;
  const folder = relative(REPO, f.source).split('/').slice(0, -1).join('/') || '.';
  const src = readFileSync(f.source, 'utf8');
  const js = transformSync(src, { loader: 'ts', format: 'esm', target: 'es2022' }).code.length;
  const min = transformSync(src, { loader: 'ts', format: 'esm', target: 'es2022', minify: true }).code.length;
  const r = rows.get(folder) ?? { modules: 0, ts: 0, js: 0, min: 0 };
  r.modules++;
  r.ts += src.length;
  r.js += js;
  r.min += min;
  rows.set(folder, r);
}
const total = { modules: 0, ts: 0, js: 0, min: 0 };
console.log('folder                        modules   ts bytes   js bytes  js min bytes');
for (const [folder, r] of [...rows].sort()) {
  console.log(
    `${folder.padEnd(28)} ${String(r.modules).padStart(8)} ${String(r.ts).padStart(10)} ${String(r.js).padStart(10)} ${String(r.min).padStart(13)}`,
  );
  total.modules += r.modules;
  total.ts += r.ts;
  total.js += r.js;
  total.min += r.min;
}
console.log(
  `${'total'.padEnd(28)} ${String(total.modules).padStart(8)} ${String(total.ts).padStart(10)} ${String(total.js).padStart(10)} ${String(total.min).padStart(13)}`,
);

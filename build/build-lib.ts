// The npm package's Node entry: host/node-api.ts bundled by esbuild into one
// ES module (dist/index.js, dependencies left as imports) and its type
// declarations (dist/types, by tsc). The wasm TLV codec goes beside the
// bundle (dist/tlv.wasm): the bundle looks for it there, not in build/out.
// Run: part of npm run build (build/build.ts).
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const WASM = join(ROOT, 'build', 'out', 'tlv.wasm');

/** tlv-wasm.ts names the codec relative to its source file; in the bundle it sits beside index.js. */
const wasmBesideBundle: Plugin = {
  name: 'wasm-beside-bundle',
  setup(b) {
    b.onLoad({ filter: /platform[\\/]node[\\/]tlv-wasm\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const src = await readFile(args.path, 'utf8');
      const out = src.replace("new URL('../../../build/out/tlv.wasm', import.meta.url)", "new URL('./tlv.wasm', import.meta.url)");
      if (out === src) throw new Error('tlv-wasm.ts: the wasm URL moved; update build/build-lib.ts');
      return { contents: out, loader: 'ts' };
    });
  },
};

mkdirSync(DIST, { recursive: true });
await build({
  entryPoints: [join(ROOT, 'host', 'node-api.ts')],
  outfile: join(DIST, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [wasmBesideBundle],
});
if (existsSync(WASM)) copyFileSync(WASM, join(DIST, 'tlv.wasm'));
else console.warn('build:lib: build/out/tlv.wasm missing (npm run build); the package falls back to the TypeScript TLV codec');
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.lib.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
console.log('build:lib: dist/index.js, dist/tlv.wasm, dist/types/');

// `npm run build`: what the tests, the npm package and the device build need, in order:
//   build/out/tlv.wasm, tlv-device.wasm  the AssemblyScript TLV codec (build-wasm.mjs)
//   build/out/c/                         its C for the device (build-c.ts), when wabt's wasm2c is installed:
//                                        only a device build links it, so without wasm2c this step says so
//                                        and the rest goes on; `npm run build:c` alone fails instead
//   dist/                                the npm package (build-lib.ts)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from './build-c';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (spawnSync('wasm2c', ['--version'], { stdio: 'ignore' }).status === 0) {
  buildC(); // builds the wasm first
} else {
  run([join(ROOT, 'build/build-wasm.mjs')]);
  console.log('build: build/out/c skipped: wasm2c not installed (apt-get install wabt); only the device build needs it');
}
run(['--import', 'tsx', join(ROOT, 'build/build-lib.ts')]);

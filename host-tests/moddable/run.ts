// `npm run test:moddable`: the firmware built and run by the real Moddable SDK
// (lin flow against our servers and Leshan, ESP32 JavaScript-half builds).
// Without MODDABLE it says why it skipped and exits 0: CI has no SDK, and the
// project never fetches or builds one; a user's SDK (xs-dev) is named by MODDABLE.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, findSdk } from './sdk';

if (!process.env.MODDABLE) {
  console.log(
    'test:moddable skipped: MODDABLE is not set (it names an installed Moddable SDK with its Linux tools built; see README "The firmware on the Moddable Linux runtime")',
  );
  process.exit(0);
}
const sdk = findSdk();
if ('missing' in sdk) {
  console.error(`test:moddable: ${sdk.missing}`);
  process.exit(1);
}
console.log(`test:moddable: Moddable SDK ${sdk.version} at ${sdk.root}`);
// The firmware links the wasm2c output of the TLV codec (manifest: tlv-c/* = build/out/c); without it
// mcconfig stops with an obscure error. Building it takes a few seconds, so it is always rebuilt here.
const buildC = spawnSync(join(REPO, 'node_modules', '.bin', 'tsx'), [join(REPO, 'build', 'build-c.ts')], { cwd: REPO, stdio: 'inherit' });
if (buildC.status !== 0) {
  console.error(
    "test:moddable: `npm run build:c` failed (the native TLV codec in build/out/c, which the firmware links; it needs wabt's wasm2c: apt-get install wabt)",
  );
  process.exit(1);
}
const mocha = join(REPO, 'node_modules', '.bin', 'mocha');
const files = process.argv.slice(2);
const r = spawnSync(
  mocha,
  [
    '--no-config',
    '--node-option',
    'import=tsx',
    '--extension',
    'ts',
    '--timeout',
    '60000',
    '--exit',
    ...(files.length > 0 ? files : ['host-tests/moddable/**/*.test.ts']),
  ],
  { cwd: REPO, stdio: 'inherit' },
);
process.exit(r.status ?? 1);

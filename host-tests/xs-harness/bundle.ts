// Bundles an entry file (TypeScript, ESM) into one classic script for XS:
// the xsnap worker evaluates scripts, it has no module loader. The bundle is
// platform neutral; any Node built-in reaching it is an error, because the
// same core must later run on the device.

import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FREEZE_BUILTINS, PRELOAD_FREEZE, preloadFreezePlugin } from './preload-freeze';

export interface BundleOptions {
  minify?: boolean;
  /** Extra `define` substitutions. */
  define?: Record<string, string>;
  /**
   * Freeze as the device's preload does (preload-freeze.ts): the built-ins before
   * the bundle runs, each firmware module's classes and functions once it has
   * loaded. Default true: XS tests run against what the device runs.
   */
  preloadFreeze?: boolean;
}

export interface Bundle {
  code: string;
  /** Byte length of the UTF-8 code. */
  bytes: number;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.split('/')[0];
      if (args.path.startsWith('node:') || builtins.has(args.path) || builtins.has(bare)) {
        return { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}: not allowed in the XS bundle` }] };
      }
      return undefined;
    });
  },
};

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TLV_WASM = join(REPO_ROOT, 'build/out/tlv.wasm');
export const TLV_WASM2JS = join(REPO_ROOT, 'build/out/tlv-wasm2js.js');

/**
 * XS has no WebAssembly: binaryen's wasm2js (installed with assemblyscript)
 * turns the same tlv.wasm into plain JavaScript over an ArrayBuffer.
 * Rebuilt when tlv.wasm is newer.
 */
export function buildTlvWasm2js(): string {
  if (!existsSync(TLV_WASM)) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'build/build-wasm.mjs')], { stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`build/build-wasm.mjs failed: ${r.stderr}`);
  }
  if (!existsSync(TLV_WASM2JS) || statSync(TLV_WASM2JS).mtimeMs < statSync(TLV_WASM).mtimeMs) {
    // wasm2js turns an access whose alignment hint is 4 into HEAP32[addr >> 2], which is wrong at the
    // codec's unaligned TLV offsets (wasm itself ignores the hint): dealign everything first.
    const dealigned = join(REPO_ROOT, 'build/out/tlv-dealigned.wasm');
    const d = spawnSync(join(REPO_ROOT, 'node_modules/.bin/wasm-opt'), [TLV_WASM, '--dealign', '-o', dealigned], { encoding: 'utf8' });
    if (d.status !== 0) throw new Error(`wasm-opt --dealign failed: ${d.stderr}`);
    const r = spawnSync(join(REPO_ROOT, 'node_modules/.bin/wasm2js'), [dealigned, '-O3', '-o', TLV_WASM2JS], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`wasm2js failed: ${r.stderr}`);
  }
  return TLV_WASM2JS;
}

/** `xs:tlv-wasm2js` -> build/out/tlv-wasm2js.js (typed in virtual-modules.d.ts). */
const tlvWasm2js: Plugin = {
  name: 'tlv-wasm2js',
  setup(b) {
    b.onResolve({ filter: /^xs:tlv-wasm2js$/ }, () => ({ path: buildTlvWasm2js() }));
  },
};

/** Bundle `entry` (absolute path or relative to the repo root) into an IIFE script string. */
export async function bundleForXs(entry: string, opts: BundleOptions = {}): Promise<Bundle> {
  const frozen = opts.preloadFreeze ?? true;
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minify: opts.minify ?? false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    define: opts.define,
    plugins: [tlvWasm2js, noNodeBuiltins, ...(frozen ? [preloadFreezePlugin] : [])],
  });
  const bundled = result.outputFiles[0].text;
  const code = frozen ? `${FREEZE_BUILTINS}${PRELOAD_FREEZE}${bundled}` : bundled;
  // `bytes` is the firmware code's size; the freezing prelude is the harness's.
  return { code, bytes: result.outputFiles[0].contents.length };
}

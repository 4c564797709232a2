// Turns the device build of the TLV codec (build/out/tlv-device.wasm: device
// bounds, see build/build-wasm.mjs) into C with wasm2c (Debian package `wabt`):
// build/out/c/tlv.c, tlv.h, the wasm-rt.h the generated code includes, and
// tlv-api.h, a few macros that hide wasm2c's naming scheme (it changed across
// wabt versions) from the XS binding firmware/platform/moddable/tlv-native.c,
// plus TLV_RT_MEMORY_BYTES: the linear memory the module really uses (its
// __heap_base, read from the module, rounded up to 16), which sizes the static
// buffer of our runtime (firmware/platform/moddable/wasm-rt-static.c).
// Run: npm run build:c
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WASM = join(ROOT, 'build/out/tlv-device.wasm');
export const C_OUT = join(ROOT, 'build/out/c');
export const MODDABLE_DIR = join(ROOT, 'firmware/platform/moddable');

/** Where Debian's wabt puts the runtime header (and older/newer layouts). */
const WASM_RT_H = ['/usr/src/wasm2c/wasm-rt.h', '/usr/include/wasm-rt.h', '/usr/share/wabt/wasm2c/wasm-rt.h'];

export class BuildError extends Error {}

function have(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The macros the binding uses, for the naming scheme found in tlv.h. */
function apiHeader(h: string): string {
  if (/\bZ_tlv_instance_t\b/.test(h) && /\bZ_tlvZ_decode\b/.test(h)) {
    // wabt 1.0.29 – 1.0.32 (Debian bookworm)
    return `#define TLV_INIT_MODULE() Z_tlv_init_module()
#define TLV_INSTANTIATE(inst) Z_tlv_instantiate(inst)
#define TLV_CALL(name, ...) Z_tlvZ_##name(__VA_ARGS__)
#define TLV_MEMORY(inst) Z_tlvZ_memory(inst)
typedef Z_tlv_instance_t tlv_instance_t;`;
  }
  if (/\bw2c_tlv\b/.test(h) && /\bw2c_tlv_decode\b/.test(h)) {
    // wabt >= 1.0.33
    const init = /wasm2c_tlv_init_module/.test(h) ? 'wasm2c_tlv_init_module()' : '((void)0)';
    return `#define TLV_INIT_MODULE() ${init}
#define TLV_INSTANTIATE(inst) wasm2c_tlv_instantiate(inst)
#define TLV_CALL(name, ...) w2c_tlv_##name(__VA_ARGS__)
#define TLV_MEMORY(inst) w2c_tlv_memory(inst)
typedef w2c_tlv tlv_instance_t;`;
  }
  throw new BuildError('unrecognised wasm2c output naming in tlv.h (expected Z_tlv_* or w2c_tlv_*)');
}

export interface DeviceLayout {
  maxPayload: number;
  maxEntries: number;
  /** __heap_base of the module: the first byte the codec never touches. */
  memoryEnd: number;
  /** memoryEnd rounded up to 16: TLV_RT_MEMORY_BYTES. */
  memoryBytes: number;
}

interface LayoutExports {
  inPtr(): number;
  tablePtr(): number;
  outPtr(): number;
  maxPayload(): number;
  maxEntries(): number;
  memoryEnd(): number;
}

// The ES2022 lib (no DOM) has no WebAssembly declarations: name the little we use.
const WA = (
  globalThis as unknown as {
    WebAssembly: { Instance: new (m: object, i: object) => { exports: unknown }; Module: new (b: Uint8Array) => object };
  }
).WebAssembly;

/** Reads the bounds and the end of static data from a built codec module (it has no imports). */
export function readLayout(wasm: Uint8Array): DeviceLayout {
  const x = new WA.Instance(new WA.Module(wasm), {}).exports as LayoutExports;
  const memoryEnd = x.memoryEnd();
  const maxPayload = x.maxPayload(),
    maxEntries = x.maxEntries();
  // The regions lie below memoryEnd: IN < TABLE < OUT, OUT + maxPayload <= memoryEnd <= one page.
  if (!(
    x.inPtr() + maxPayload <= x.tablePtr() &&
    x.tablePtr() + maxEntries * 32 <= x.outPtr() &&
    x.outPtr() + maxPayload <= memoryEnd &&
    memoryEnd <= 65536
  )) {
    throw new BuildError(`unexpected codec layout: in ${x.inPtr()} table ${x.tablePtr()} out ${x.outPtr()} end ${memoryEnd}`);
  }
  return { maxPayload, maxEntries, memoryEnd, memoryBytes: (memoryEnd + 15) & ~15 };
}

export function buildC(opts: { quiet?: boolean } = {}): { dir: string; wasm2cVersion: string; layout: DeviceLayout } {
  // Always rebuild: cheap, and the device bounds may come from the environment.
  const b = spawnSync(process.execPath, [join(ROOT, 'build/build-wasm.mjs')], { stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  if (b.status !== 0 || !existsSync(WASM)) throw new BuildError(`build/build-wasm.mjs failed: ${b.stderr ?? ''}`);
  const layout = readLayout(readFileSync(WASM));
  if (!have('wasm2c')) {
    throw new BuildError('wasm2c not found: install the Debian package wabt (apt-get install -y wabt)');
  }
  const version = spawnSync('wasm2c', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const rtHeader = WASM_RT_H.find((p) => existsSync(p));
  if (!rtHeader) throw new BuildError(`wasm-rt.h not found (looked in ${WASM_RT_H.join(', ')}): is wabt installed?`);
  mkdirSync(C_OUT, { recursive: true });
  const r = spawnSync('wasm2c', [WASM, '-n', 'tlv', '-o', join(C_OUT, 'tlv.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new BuildError(`wasm2c failed: ${r.stderr}`);
  const h = readFileSync(join(C_OUT, 'tlv.h'), 'utf8');
  if (/\/\* import:/.test(h)) {
    // The device binding provides no imports (the codec is built with --use abort=).
    throw new BuildError(`tlv-device.wasm has imports; the native build expects none:\n${h.match(/\/\* import:.*\*\//g)?.join('\n')}`);
  }
  copyFileSync(rtHeader, join(C_OUT, 'wasm-rt.h'));
  writeFileSync(
    join(C_OUT, 'tlv-api.h'),
    `/* Generated by build/build-c.ts from wasm2c ${version}: do not edit. */
#ifndef TLV_API_H_
#define TLV_API_H_
#include "tlv.h"
${apiHeader(h)}

/* Device bounds of this build: ${layout.maxPayload} payload bytes, ${layout.maxEntries} entries. */
#define TLV_MAX_PAYLOAD ${layout.maxPayload}
#define TLV_MAX_ENTRIES ${layout.maxEntries}
/*
 * Linear memory the codec uses: its static regions end at ${layout.memoryEnd} (__heap_base),
 * rounded up to 16. wasm-rt-static.c allocates exactly this; any access at or beyond it traps.
 */
#ifndef TLV_RT_MEMORY_BYTES
#define TLV_RT_MEMORY_BYTES ${layout.memoryBytes}
#endif
#endif
`,
  );
  if (!opts.quiet) {
    console.log(
      `wasm2c ${version}: wrote ${C_OUT}/{tlv.c,tlv.h,tlv-api.h,wasm-rt.h}; ` +
        `device bounds ${layout.maxPayload} B / ${layout.maxEntries} entries, linear memory ${layout.memoryBytes} B`,
    );
  }
  return { dir: C_OUT, wasm2cVersion: version, layout };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildC();
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}

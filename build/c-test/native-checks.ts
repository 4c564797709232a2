// Compile checks for the device TLV codec (wasm2c output + static runtime +
// XS binding) with the host gcc and the Xtensa cross compiler, the host
// vector runner build/c-test/tlv_vectors, and code sizes.
// CLI: npx tsx build/c-test/native-checks.ts (prints the sizes).
// Used by host-tests/native/native.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC, BuildError, C_OUT, MODDABLE_DIR, ROOT, type DeviceLayout } from '../build-c';

export const XS_INCLUDES = join(ROOT, 'node_modules/@agoric/xsnap/moddable/xs/includes');
export const OBJ_DIR = join(ROOT, 'build/out/c-test');
export const VECTORS_BIN = join(OBJ_DIR, 'tlv_vectors');
export const HARNESS_BIN = join(OBJ_DIR, 'tlv_native_harness');
export const XTENSA_GCC = 'xtensa-lx106-elf-gcc';
export const XTENSA_SPECS = '/usr/lib/xtensa-lx106-elf/picolibc.specs';

const STRICT = ['-std=gnu11', '-Wall', '-Wextra', '-Werror'];
/** Same on every target: bounds checks against the static buffer, no guard-page signal handler. */
const DEFINES = ['-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0'];
const INCLUDES = [`-I${C_OUT}`, `-I${MODDABLE_DIR}`];
/**
 * Only for wasm2c's generated tlv.c: its TRAP() macro is a comma expression
 * whose value is unused (-Wunused-value), it emits static inline helpers the
 * module does not call (-Wunused-function) and passes the instance pointer to
 * functions that ignore it (-Wunused-parameter). Our own C gets none of these.
 */
export const GENERATED_ONLY = ['-Wno-unused-value', '-Wno-unused-function', '-Wno-unused-parameter'];

export interface Target {
  name: string;
  cc: string;
  pre: string[];
  opt: string;
  size: string;
}

export const HOST: Target = { name: 'host', cc: 'gcc', pre: [], opt: '-O2', size: 'size' };
export const XTENSA: Target = {
  name: 'xtensa-lx106',
  cc: XTENSA_GCC,
  pre: [`--specs=${XTENSA_SPECS}`],
  opt: '-Os',
  size: 'xtensa-lx106-elf-size',
};

export interface Unit {
  name: string;
  src: string;
  extra: string[];
}

export const UNITS: Unit[] = [
  { name: 'tlv', src: join(C_OUT, 'tlv.c'), extra: GENERATED_ONLY },
  { name: 'wasm-rt-static', src: join(MODDABLE_DIR, 'wasm-rt-static.c'), extra: [] },
  { name: 'tlv-native', src: join(MODDABLE_DIR, 'tlv-native.c'), extra: [`-I${XS_INCLUDES}`] },
];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new BuildError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new BuildError(`${cmd} ${args.join(' ')}\n${r.stderr}${r.stdout}`);
}

export function requireTool(cmd: string, hint: string): void {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new BuildError(`${cmd} not found: ${hint}`);
}

export function objectPath(t: Target, u: Unit): string {
  return join(OBJ_DIR, t.name, `${u.name}.o`);
}

/** Compiles every unit for the target with -Wall -Wextra -Werror; returns the object paths. */
export function compileUnits(t: Target): string[] {
  mkdirSync(join(OBJ_DIR, t.name), { recursive: true });
  return UNITS.map((u) => {
    const out = objectPath(t, u);
    run(t.cc, [...t.pre, ...STRICT, t.opt, ...DEFINES, ...INCLUDES, ...u.extra, '-c', u.src, '-o', out]);
    return out;
  });
}

/** Links the host vector runner from the generated codec and the static runtime. */
export function buildVectorRunner(): string {
  mkdirSync(OBJ_DIR, { recursive: true });
  const tlvObj = objectPath(HOST, UNITS[0]);
  const rtObj = objectPath(HOST, UNITS[1]);
  run('gcc', [
    ...STRICT,
    '-O2',
    ...DEFINES,
    ...INCLUDES,
    join(ROOT, 'build/c-test/tlv_vectors.c'),
    tlvObj,
    rtObj,
    '-lm',
    '-o',
    VECTORS_BIN,
  ]);
  return VECTORS_BIN;
}

/** Links the XS-binding harness: tlv-native.c over the codec, with the few XS C calls it makes. */
export function buildBindingHarness(): string {
  const objs = UNITS.map((u) => objectPath(HOST, u));
  run('gcc', [
    ...STRICT,
    '-O2',
    ...DEFINES,
    ...INCLUDES,
    `-I${XS_INCLUDES}`,
    join(ROOT, 'build/c-test/tlv_native_harness.c'),
    ...objs,
    '-lm',
    '-o',
    HARNESS_BIN,
  ]);
  return HARNESS_BIN;
}

export interface SizeRow {
  target: string;
  unit: string;
  text: number;
  data: number;
  bss: number;
}

/** Berkeley sizes of each object (text includes the codec's read-only data segments). */
export function sizes(t: Target): SizeRow[] {
  return UNITS.map((u) => {
    const r = spawnSync(t.size, [objectPath(t, u)], { encoding: 'utf8' });
    if (r.status !== 0) throw new BuildError(`${t.size} failed: ${r.stderr}`);
    const [text, data, bss] = r.stdout.trim().split('\n')[1].trim().split(/\s+/).map(Number);
    return { target: t.name, unit: u.name, text, data, bss };
  });
}

/** Everything the native test needs; throws BuildError with an install hint when a tool is missing. */
export interface NativeBuild {
  vectors: string;
  harness: string;
  sizes: SizeRow[];
  wasm2cVersion: string;
  layout: DeviceLayout;
}

export function buildAllNative(): NativeBuild {
  requireTool('gcc', 'install gcc (apt-get install -y gcc)');
  requireTool(XTENSA_GCC, 'install the cross compiler (apt-get install -y gcc-xtensa-lx106 picolibc-xtensa-lx106-elf)');
  if (!existsSync(XTENSA_SPECS)) throw new BuildError(`${XTENSA_SPECS} missing: apt-get install -y picolibc-xtensa-lx106-elf`);
  if (!existsSync(join(XS_INCLUDES, 'xsmc.h'))) throw new BuildError(`xsmc.h not found in ${XS_INCLUDES}: npm install`);
  const { wasm2cVersion, layout } = buildC({ quiet: true });
  compileUnits(HOST);
  compileUnits(XTENSA);
  const vectors = buildVectorRunner();
  const harness = buildBindingHarness();
  return { vectors, harness, sizes: [...sizes(HOST), ...sizes(XTENSA)], wasm2cVersion, layout };
}

export function formatSizes(rows: SizeRow[]): string {
  const lines = ['target        unit              text    data     bss'];
  for (const r of rows) {
    lines.push(
      `${r.target.padEnd(14)}${r.unit.padEnd(16)}${String(r.text).padStart(6)}  ${String(r.data).padStart(6)}  ${String(r.bss).padStart(6)}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const r = buildAllNative();
    console.log(`wasm2c ${r.wasm2cVersion}; host vector runner: ${r.vectors}`);
    console.log(
      `device codec: ${r.layout.maxPayload} B payload, ${r.layout.maxEntries} entries, linear memory ${r.layout.memoryBytes} B (TLV_RT_MEMORY_BYTES)`,
    );
    console.log(formatSizes(r.sizes));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}

// The Moddable SDK a user installed (xs-dev, or by hand), found through
// MODDABLE, and the two builds the device checks need:
//  - the firmware for the SDK's Linux runtime (`mcconfig -d -m -p lin -t build`),
//    a shared object that the simulator `mcsim` runs;
//  - the JavaScript half of an ESP32 board build: tsc → xsc → xsl with preload,
//    ending in mc.xs.c. Without ESP-IDF that is where an ESP32 build stops:
//    mcconfig wants $IDF_PATH (a git checkout whose version reads v6.0, with an
//    export.sh) and an sdkconfig.h before it writes its makefile's rules; a
//    stand-in for both is made in a temporary folder, and only the mc.xs.c
//    target of the generated makefile is built. Nothing of ESP-IDF runs.
// The SDK itself never enters this repository; builds go to build/out (ignored).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const OUT = join(REPO, 'build', 'out', 'moddable');
/** The example app on the library (examples/moddable-sensors). */
export const SENSORS_MANIFEST = join(REPO, 'examples', 'moddable-sensors', 'manifest.json');

/**
 * The one folder under `dir` that mcconfig made for the app: it is named by
 * the app's build NAME (xs-lwm2m for the reference firmware, moddable-sensors
 * for the example), which an including manifest may inherit.
 */
function appFolder(dir: string, holds: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((d) => existsSync(join(d, holds)));
  found.sort((a, b) => statSync(join(b, holds)).mtimeMs - statSync(join(a, holds)).mtimeMs);
  return found[0];
}
/** The Moddable Linux runtime runs in a GTK window; xvfb-run gives it a display nobody sees. */
export const XVFB_RUN = 'xvfb-run';

export interface Sdk {
  root: string;
  /** build/bin/lin/release: mcconfig, mcsim, xsc, xsl … */
  bin: string;
  version: string;
}

/** The SDK named by MODDABLE, or why there is none to use. */
export function findSdk(env: NodeJS.ProcessEnv = process.env): Sdk | { missing: string } {
  const root = env.MODDABLE;
  if (!root) return { missing: 'MODDABLE is not set (it names an installed Moddable SDK whose Linux tools are built)' };
  const bin = join(root, 'build', 'bin', 'lin', 'release');
  for (const tool of ['mcconfig', 'mcsim', 'xsl']) {
    if (!existsSync(join(bin, tool)))
      return { missing: `${join(bin, tool)} not found: build the SDK's Linux tools (cd $MODDABLE/build/makefiles/lin && make)` };
  }
  if (spawnSync('sh', ['-c', `command -v ${XVFB_RUN}`]).status !== 0) {
    return { missing: `${XVFB_RUN} not found (Debian/Ubuntu: apt-get install xvfb xauth)` };
  }
  const versionFile = join(root, 'tools', 'VERSION');
  const version = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : 'unknown';
  return { root, bin, version };
}

/** PATH for the SDK tools: the project's TypeScript first (mcconfig runs `tsc`), then the SDK's binaries. */
export function toolEnv(sdk: Sdk, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = [join(REPO, 'node_modules', '.bin'), process.env.PATH ?? '', sdk.bin].join(delimiter);
  return { ...process.env, MODDABLE: sdk.root, PATH: path, ...extra };
}

export interface CommandResult {
  code: number | null;
  output: string;
}

/** Runs a build command; resolves with its exit code and combined output (never rejects). */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.once('error', (e) => done({ code: -1, output: `${output}\n${e.message}` }));
    child.once('close', (code) => done({ code, output }));
  });
}

/** mcconfig's `key=value` build arguments, which land in `mc/config`. */
export function configArgs(config: Record<string, string | number>): string[] {
  return Object.entries(config).map(([k, v]) => `${k}=${v}`);
}

/** Lines of a build log worth showing (compiler chatter and wasm2c's unused helpers left out). */
export function buildErrors(output: string): string {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^# (cc|xsc|xsid|tsc|ld|xsl|mcrez)\b/.test(l) && !/wasm_|^\s*\d* \|/.test(l))
    .slice(-60)
    .join('\n');
}

export interface LinBuild {
  /** The firmware as a shared object for mcsim. */
  so: string;
  output: string;
}

/** mcconfig's three builds: debug (-d, for xsbug), instrumented release (-i), release. */
export type BuildMode = 'debug' | 'instrument' | 'release';
const MODE_FLAGS: Record<BuildMode, string[]> = { debug: ['-d'], instrument: ['-i'], release: [] };

/**
 * Builds the firmware for the Linux runtime into build/out/moddable/<name>.
 * `manifest` defaults to the project manifest. Debug and instrumented builds
 * print the XS instruments (heaps, stack) on stdout every second.
 */
export async function buildLin(
  sdk: Sdk,
  o: { name: string; config: Record<string, string | number>; manifest?: string; mode?: BuildMode },
): Promise<LinBuild> {
  const outDir = join(OUT, o.name);
  mkdirSync(outDir, { recursive: true });
  const mode = o.mode ?? 'debug';
  const manifest = o.manifest ?? join(REPO, 'manifest.json');
  const args = [manifest, ...MODE_FLAGS[mode], '-m', '-p', 'lin', '-t', 'build', '-o', outDir, ...configArgs(o.config)];
  const r = await run(join(sdk.bin, 'mcconfig'), args, { env: toolEnv(sdk) });
  const app = appFolder(join(outDir, 'bin', 'lin', 'mc', mode), 'mc.so');
  const so = app === undefined ? '' : join(app, 'mc.so');
  if (r.code !== 0 || app === undefined) throw new Error(`lin build failed (exit ${r.code}):\n${buildErrors(r.output)}`);
  return { so, output: r.output };
}

export interface Esp32JsHalf {
  /** The linked XS image in C: what the ESP-IDF half would compile into the firmware. */
  mcXsC: string;
  bytes: number;
  output: string;
  /** `### warning:` lines of the XS linker (aliasable objects and closures of preloaded modules). */
  linkerWarnings: string[];
}

/** A folder that passes for an ESP-IDF v6.0 checkout as far as mcconfig's checks go (made once per process). */
let idfStandIn: string | undefined;
function espIdfStandIn(): string {
  if (idfStandIn) return idfStandIn;
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-idf-'));
  writeFileSync(join(dir, 'export.sh'), '# stand-in: the JavaScript half of the build needs no ESP-IDF tool\n');
  const git = (...a: string[]) => spawnSync('git', ['-c', 'user.email=ci@localhost', '-c', 'user.name=ci', ...a], { cwd: dir });
  git('init', '-q', '.');
  git('add', 'export.sh');
  git('commit', '-q', '-m', 'stand-in');
  git('tag', '-a', 'v6.0', '-m', 'ESP-IDF version mcconfig checks for');
  idfStandIn = dir;
  return dir;
}

/**
 * `mcconfig -p esp32/<board>` up to mc.xs.c, with the given build arguments;
 * `app` builds another app's manifest (default: the reference firmware) into
 * build/out/moddable/esp32-<board>-<name>.
 */
export async function buildEsp32JsHalf(
  sdk: Sdk,
  board: string,
  config: Record<string, string | number> = {},
  app?: { name: string; manifest: string },
): Promise<Esp32JsHalf> {
  const outDir = join(OUT, app === undefined ? `esp32-${board}` : `esp32-${board}-${app.name}`);
  mkdirSync(outDir, { recursive: true });
  const env = toolEnv(sdk, { IDF_PATH: espIdfStandIn() });
  const manifest = app?.manifest ?? join(REPO, 'manifest.json');
  // First pass writes the makefile, then stops where ESP-IDF's configure step would run.
  const configure = await run(join(sdk.bin, 'mcconfig'), [manifest, '-m', '-p', `esp32/${board}`, '-o', outDir, ...configArgs(config)], {
    env,
  });
  const tmp =
    appFolder(join(outDir, 'tmp', 'esp32', board, 'release'), 'makefile') ?? join(outDir, 'tmp', 'esp32', board, 'release', '(none)');
  const makefile = join(tmp, 'makefile');
  if (!existsSync(makefile))
    throw new Error(`esp32/${board}: mcconfig wrote no makefile (exit ${configure.code}):\n${buildErrors(configure.output)}`);
  const subclass = /^ESP32_SUBCLASS = (\S+)/m.exec(readFileSync(makefile, 'utf8'))?.[1] ?? 'esp32';
  const sdkconfig = join(tmp, `xsProj-${subclass}`, 'build', 'config', 'sdkconfig.h');
  mkdirSync(join(sdkconfig, '..'), { recursive: true });
  if (!existsSync(sdkconfig)) writeFileSync(sdkconfig, '/* stand-in: no ESP-IDF configure step ran */\n');
  const mcXsC = join(tmp, 'mc.xs.c');
  rmSync(mcXsC, { force: true }); // always link, so the linker's warnings are seen every time
  const link = await run('make', ['-f', makefile, mcXsC], { env });
  if (link.code !== 0 || !existsSync(mcXsC))
    throw new Error(`esp32/${board}: JavaScript half failed (exit ${link.code}):\n${buildErrors(link.output)}`);
  const output = `${configure.output}\n${link.output}`;
  return {
    mcXsC,
    bytes: statSync(mcXsC).size,
    output,
    linkerWarnings: output.split('\n').filter((l) => l.startsWith('### warning')),
  };
}

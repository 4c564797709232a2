// Checks the Moddable manifests and every board on a machine without the SDK
// or a board: the library fragment (manifest_lwm2m.json: modules, preload,
// config, boards), the apps on it (the reference firmware's manifest.json and
// examples/moddable-sensors), JSON shape, local files, partition tables, and
// that every module the device loads resolves under XS's device rules.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  REPO,
  asList,
  isExternal,
  isGenerated,
  manifestIncludes,
  manifestModules,
  readJson,
  type Json,
  type ModuleFile,
} from '../../build/manifest-model';
import { MODDABLE_MODULES, importsOfFile, resolveOnDevice } from './device-imports';
import { BOARDS } from './boards';
import { checkPartitions, parseNumber, parsePartitionCsv, type Partition } from './partitions';

/** The library fragment an app includes. */
const LIBRARY = join(REPO, 'manifest_lwm2m.json');
/** The reference firmware: an app on the library. */
const MANIFEST = join(REPO, 'manifest.json');
/** Apps on the library: the reference firmware and the examples. */
const APPS = [MANIFEST, join(REPO, 'examples/moddable-sensors/manifest.json')];
const FLASH_4MB = 4 * 1024 * 1024;
/** Core folders that ship on the device: firmware/ outside platform/. */
const CORE_DIRS = ['coap', 'codec', 'dtls', 'formats', 'lwm2m', 'model', 'store', 'util'];

function obj(v: Json | undefined, what: string): { [key: string]: Json } {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} must be a JSON object`);
  return v as { [key: string]: Json };
}

function rel(p: string): string {
  return relative(REPO, p);
}

function walkTs(dir: string, skip: (p: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (skip(full)) continue;
    if (statSync(full).isDirectory()) out.push(...walkTs(full, skip));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** An app's modules and the library's: what its build contains of this repository. */
function appModules(app: string): { files: ModuleFile[]; missing: string[] } {
  const lib = manifestModules(LIBRARY);
  const own = manifestModules(app);
  return { files: [...lib.files, ...own.files], missing: [...lib.missing, ...own.missing] };
}

describe('device manifest: the library fragment (manifest_lwm2m.json)', () => {
  const manifest = readJson(LIBRARY);

  it('has the Moddable manifest shape: include list, modules map, config, typescript options, platforms', () => {
    for (const p of asList(manifest.include)) assert.equal(typeof p, 'string');
    const modules = obj(manifest.modules, 'modules');
    for (const [target, source] of Object.entries(modules)) {
      assert.ok(target.length > 0, 'empty module target');
      assert.ok(asList(source).length > 0, `modules["${target}"] is empty`);
    }
    const config = obj(manifest.config, 'config');
    assert.match(String(config.bootstrap), /^coap:\/\//, 'config.bootstrap default must be a coap:// URI');
    assert.ok(['error', 'warn', 'info', 'debug'].includes(String(config.logLevel)), 'config.logLevel');
    assert.equal(config.partition, 'lwm2m');
    assert.ok('endpoint' in config, 'config.endpoint must exist (empty = derive from MAC)');
    const ts = obj(obj(obj(manifest.typescript, 'typescript').tsconfig, 'typescript.tsconfig').compilerOptions, 'compilerOptions');
    assert.equal(String(ts.target).toUpperCase(), 'ES2022');
    assert.equal(String(ts.module).toUpperCase(), 'ES2022');
    assert.deepEqual(ts.lib, ['ES2022'], 'no DOM lib on the device');
    assert.equal(manifest.creation, undefined, 'creation belongs to the board fragments (the main manifest would override them)');
    assert.equal(obj(manifest.modules, 'modules').main, undefined, "main is the app's, not the library's");
    assert.equal(manifest.build, undefined, 'the app names itself (build.NAME)');
  });

  it('includes the SDK base, Wi-Fi, ECMA-419 IO (UDP socket), flash and crypt (C SHA-256 and AES for DTLS) manifests', () => {
    const includes = asList(manifest.include);
    for (const needed of [
      '$(MODDABLE)/examples/manifest_base.json',
      '$(MODDABLE)/examples/manifest_net.json',
      '$(MODDABLE)/modules/io/manifest.json',
      '$(MODDABLE)/modules/files/flash/manifest.json',
      '$(MODDABLE)/modules/crypt/digest/manifest.json',
    ])
      assert.ok(includes.includes(needed), `missing include ${needed}`);
  });

  it('selects a board fragment per platform, exact subplatforms before the esp32/* fallback', () => {
    const platforms = obj(manifest.platforms, 'platforms');
    const keys = Object.keys(platforms);
    const fallback = keys.indexOf('esp32/*');
    for (const b of BOARDS) {
      const i = keys.indexOf(b.platform);
      assert.ok(i >= 0, `no platforms["${b.platform}"]`);
      // mcconfig's matchPlatform returns the first key that matches, wildcard or not.
      if (fallback >= 0) assert.ok(i < fallback, `${b.platform} must come before esp32/*`);
      assert.deepEqual(asList(obj(platforms[b.platform], b.platform).include), [`./boards/${b.folder}/manifest.json`]);
    }
    assert.ok(keys.includes('...'), 'an explicit error for unsupported platforms');
    assert.ok(typeof obj(platforms['...'], '...').error === 'string');
  });

  it('every local include exists ($(VAR) paths are SDK paths and are skipped)', () => {
    const missing = [LIBRARY, ...APPS]
      .flatMap((m) => manifestIncludes(m))
      .filter((i) => !isExternal(i.path) && !existsSync(i.path))
      .map((i) => `${i.platform ?? 'top'}: ${rel(i.path)}`);
    assert.deepEqual(missing, []);
  });

  it('every local module entry matches files (build/out is generated by npm scripts and git-ignored)', () => {
    const { files, missing } = manifestModules(LIBRARY);
    assert.deepEqual(missing.map(rel), []);
    assert.ok(files.length > 0);
    const modules = obj(manifest.modules, 'modules');
    const generated = Object.values(modules)
      .flatMap((v) => asList(v))
      .filter((s) => !isExternal(s) && isGenerated(resolve(REPO, s.replace(/\/\*$/, ''))));
    if (generated.length > 0) {
      const ignore = readFileSync(join(REPO, '.gitignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      assert.ok(
        ignore.includes('build/out/') || ignore.includes('build/out') || ignore.includes('/build/out/'),
        '.gitignore must list build/out/ since the manifest points into it',
      );
    }
  });

  it('no two JavaScript sources claim the same module name (in any app on the library)', () => {
    for (const app of APPS) noClash(appModules(app).files);
  });

  function noClash(files: ModuleFile[]): void {
    const byTarget = new Map<string, ModuleFile[]>();
    for (const f of files) {
      if (f.ext !== '.ts' && f.ext !== '.js') continue;
      byTarget.set(f.target, [...(byTarget.get(f.target) ?? []), f]);
    }
    const clashes = [...byTarget].filter(([, fs]) => fs.length > 1).map(([t, fs]) => `${t}: ${fs.map((f) => rel(f.source)).join(', ')}`);
    assert.deepEqual(clashes, []);
  }

  it('maps the library entry, the port interfaces and every core and Moddable-port source file into the firmware', () => {
    const { files } = manifestModules(LIBRARY);
    const sources = new Set(files.map((f) => f.source));
    const targets = new Map(files.map((f) => [f.source, f.target]));
    assert.equal(targets.get(join(REPO, 'firmware/xs-lwm2m.ts')), 'xs-lwm2m');
    assert.equal(targets.get(join(REPO, 'firmware/platform/ports.ts')), 'platform/ports');
    const expected = [
      ...CORE_DIRS.flatMap((d) => walkTs(join(REPO, 'firmware', d), (p) => p.endsWith('/codec/assembly'))),
      // esp32/ holds the modules ESP32 boards map by bare name (its manifest.json, included for the esp32 platform only).
      ...walkTs(join(REPO, 'firmware/platform/moddable'), (p) => p.endsWith('/types') || p.endsWith('/esp32')),
    ];
    assert.ok(expected.length > 0);
    const unmapped = expected.filter((p) => !sources.has(p)).map(rel);
    assert.deepEqual(unmapped, [], 'source files the device build would not contain (subfolders need their own modules entry)');
    const esp32 = readJson(join(REPO, 'firmware/platform/moddable/esp32/manifest.json'));
    const esp32Modules = Object.values(obj(esp32.modules, 'modules')).map((m) =>
      join(REPO, 'firmware/platform/moddable/esp32', `${String(m)}.ts`),
    );
    for (const f of walkTs(join(REPO, 'firmware/platform/moddable/esp32'), () => false)) {
      assert.ok(esp32Modules.includes(f), `${rel(f)} is mapped by esp32/manifest.json`);
    }
    // Module names mirror the firmware/ tree, which is what makes relative imports line up.
    for (const f of files) {
      if (!f.source.startsWith(join(REPO, 'firmware') + '/') || f.ext !== '.ts') continue;
      const mirrored = rel(f.source)
        .replace(/^firmware\//, '')
        .replace(/\.ts$/, '');
      assert.equal(f.target, mirrored, `${rel(f.source)} must be module "${mirrored}"`);
    }
  });

  it('resolves specifiers as XS on the device does: leading ../ chains, nothing mixed, never above the top', () => {
    // Checked against the SDK's fxFindModule (xs/platforms/mc/xsHosts.c) and a lin build with '../../' and '../../../' imports.
    assert.deepEqual(resolveOnDevice('lwm2m/dm/read', '../../coap/api'), { target: 'coap/api' });
    assert.deepEqual(resolveOnDevice('lwm2m/dm/read', '../objects/object-tree'), { target: 'lwm2m/objects/object-tree' });
    assert.deepEqual(resolveOnDevice('lwm2m/dm/read', './scope'), { target: 'lwm2m/dm/scope' });
    assert.ok('problem' in resolveOnDevice('lwm2m/dm/read', '../../../x'));
    assert.ok('problem' in resolveOnDevice('lwm2m/dm/read', './../scope'));
    assert.ok('problem' in resolveOnDevice('lwm2m/dm/read', '../a/../b'));
  });

  for (const app of APPS) {
    it(`every runtime import resolves to a module of the firmware under XS device rules (${rel(app)})`, () =>
      importsResolve(appModules(app).files));
  }

  function importsResolve(files: ModuleFile[]): void {
    const available = new Set(files.filter((f) => f.ext === '.ts' || f.ext === '.js').map((f) => f.target));
    const problems: string[] = [];
    for (const f of files) {
      if (f.ext !== '.ts') continue;
      // The app's main (outside firmware/ for an example) may import the SDK's modules, as the Moddable port does.
      const isPort = f.target === 'main' || f.target.startsWith('platform/moddable/');
      for (const imp of importsOfFile(f.source)) {
        if (imp.typeOnly) continue;
        const where = `${rel(f.source)}:${imp.line}`;
        const r = resolveOnDevice(f.target, imp.specifier);
        if ('problem' in r) {
          problems.push(`${where} ${r.problem}`);
          continue;
        }
        if (available.has(r.target)) continue;
        if (isPort && MODDABLE_MODULES.has(r.target)) continue;
        const isDir = available.has(`${r.target}/index`);
        problems.push(
          `${where} "${imp.specifier}" → module "${r.target}" is not in the firmware` +
            (isDir ? ` (directory import: write "${imp.specifier}/index"; XS has no index lookup)` : '') +
            (!isPort && MODDABLE_MODULES.has(r.target) ? ' (SDK modules only in firmware/platform/moddable)' : ''),
        );
      }
    }
    assert.deepEqual(problems, [], `\n  ${problems.join('\n  ')}\n`);
  }
});

describe('device manifest: apps on the library (the reference firmware, examples/moddable-sensors)', () => {
  for (const app of APPS) {
    describe(rel(app), () => {
      const m = readJson(app);

      it('includes the library fragment, maps and preloads its own main, names itself', () => {
        const includes = manifestIncludes(app)
          .filter((i) => i.platform === null)
          .map((i) => i.path);
        assert.ok(includes.includes(LIBRARY), `includes ${rel(LIBRARY)} (got ${includes.map(rel).join(', ')})`);
        assert.ok(typeof obj(m.build, 'build').NAME === 'string', 'build.NAME');
        const own = manifestModules(app);
        assert.deepEqual(own.missing.map(rel), []);
        assert.deepEqual(
          own.files.filter((f) => f.ext === '.ts').map((f) => f.target),
          ['main'],
        );
        assert.deepEqual(asList(m.preload), ['main'], 'the app preloads its own module (the library preloads its)');
        assert.equal(m.creation, undefined, "creation stays the boards'");
      });
    });
  }

  it('the reference firmware is nothing but the library and its main', () => {
    const m = readJson(MANIFEST);
    assert.deepEqual(Object.keys(obj(m.modules, 'modules')), ['main']);
    assert.deepEqual(asList(m.include), ['./manifest_lwm2m.json']);
    assert.equal(m.platforms, undefined, 'the boards come with the library');
  });

  it('the example gives the board LED to its Light Control (no status LED) and names the button and LED pins', () => {
    const config = obj(readJson(APPS[1]!).config, 'config');
    assert.equal(config.statusLedPin, -1);
    assert.ok(Number.isInteger(config.ledPin) && Number.isInteger(config.buttonPin));
  });
});

describe('device manifest: preload and the Linux runtime (lin)', () => {
  const manifest = readJson(LIBRARY);

  it('preloads every module of the library (an unpreloaded one runs out of the ESP32 heap at start)', () => {
    // mcconfig's preload wildcards match only .js modules, so the TypeScript modules are named one by one.
    const preload = new Set(asList(manifest.preload));
    const { files } = manifestModules(LIBRARY);
    const modules = [...new Set(files.filter((f) => f.ext === '.ts' || f.ext === '.js').map((f) => f.target))];
    assert.deepEqual(
      modules.filter((m) => !preload.has(m)).sort(),
      [],
      'library modules missing from "preload" (npx tsx build/sync-preload.ts)',
    );
    assert.deepEqual(
      [...preload].filter((m) => !modules.includes(m)),
      [],
      'preload names that are no module of the firmware',
    );
  });

  it("runs on the SDK's Linux runtime as the generic ESP32 board: same creation limits, partition size and config", () => {
    const platforms = obj(manifest.platforms, 'platforms');
    const keys = Object.keys(platforms);
    assert.ok(keys.indexOf('lin') >= 0 && keys.indexOf('lin') < keys.indexOf('...'), 'a lin platform before the catch-all');
    assert.deepEqual(asList(obj(platforms.lin, 'lin').include), ['./boards/lin/manifest.json']);
    const lin = readJson(join(REPO, 'boards/lin/manifest.json'));
    assert.ok(asList(lin.include).includes('../esp32/manifest.json'), 'lin takes the ESP32 board fragment (creation, config)');
    assert.equal(lin.creation, undefined, 'no creation of its own: the ESP32 limits apply');
    const sizes = obj(obj(lin.config, 'config').flashPartitions, 'flashPartitions');
    const csv = parsePartitionCsv(readFileSync(join(REPO, 'boards/esp32/partitions.csv'), 'utf8'));
    for (const [name, size] of Object.entries(sizes)) {
      assert.equal(size, csv.find((x) => x.name === name)?.size, `lin flash "${name}" has the ESP32 partition's size`);
    }
    const shims = obj(lin.modules, 'modules');
    assert.deepEqual(Object.keys(shims).sort(), [
      'deep-sleep',
      'embedded:io/digital',
      'embedded:network/interface/wifi',
      'entropy',
      'flash',
      'lin-exit',
      'ota',
      'ota-boot',
    ]);
    for (const source of Object.values(shims)) {
      const base = resolve(REPO, 'boards/lin', String(source));
      assert.ok(existsSync(`${base}.ts`) || existsSync(`${base}.js`), `${String(source)}.ts or .js`);
    }
    assert.deepEqual(asList(lin.preload).sort(), Object.keys(shims).sort(), 'the shims are preloaded too');
  });
});

describe('device boards (boards/*)', () => {
  for (const b of BOARDS) {
    describe(b.folder, () => {
      const dir = join(REPO, 'boards', b.folder);
      const manifestPath = join(dir, 'manifest.json');

      it('has a manifest fragment with PARTITIONS_FILE, board config and ESP32-sized creation', () => {
        const m = readJson(manifestPath);
        const build = obj(m.build, 'build');
        assert.equal(typeof build.PARTITIONS_FILE, 'string');
        assert.ok(!isExternal(String(build.PARTITIONS_FILE)), 'the board ships its own partition table');
        assert.ok(existsSync(resolve(dir, String(build.PARTITIONS_FILE))), 'PARTITIONS_FILE resolves relative to the fragment');
        const config = obj(m.config, 'config');
        assert.equal(typeof config.model, 'string');
        assert.ok(Number.isInteger(config.statusLedPin), 'statusLedPin (-1 = none)');
        const creation = obj(m.creation, 'creation');
        assert.equal(creation.static, 0, 'fixed heaps (ESP32 RAM is not contiguous)');
        const chunk = obj(creation.chunk, 'chunk');
        const heap = obj(creation.heap, 'heap');
        assert.equal(chunk.incremental, 0);
        assert.equal(heap.incremental, 0);
        const bytes = Number(chunk.initial) + Number(heap.initial) * 16 + Number(creation.stack) * 16;
        // Leave the Wi-Fi/lwIP stack its share of the ~300 KB of internal RAM.
        assert.ok(bytes >= 96 * 1024 && bytes <= 200 * 1024, `XS machine ${bytes} bytes`);
        assert.equal(manifestModules(manifestPath).missing.length, 0);
      });

      it('has a partition table that parses, is aligned, has no overlaps and fits 4 MB', () => {
        const parts = parsePartitionCsv(readFileSync(join(dir, 'partitions.csv'), 'utf8'));
        assert.deepEqual(checkPartitions(parts, FLASH_4MB), []);
      });

      it('keeps the SDK default nvs and phy_init, two OTA app slots with otadata, and exactly one lwm2m data partition', () => {
        const parts = parsePartitionCsv(readFileSync(join(dir, 'partitions.csv'), 'utf8'));
        const by = (name: string): Partition => {
          const p = parts.find((x) => x.name === name);
          assert.ok(p, `no ${name} partition`);
          return p;
        };
        assert.deepEqual([by('nvs').offset, by('nvs').size, by('nvs').subtype], [0x9000, 0x6000, 'nvs']);
        assert.deepEqual([by('phy_init').offset, by('phy_init').size], [0xf000, 0x1000]);
        assert.equal(parts.filter((p) => p.typeName === 'app').length, 2, 'two app partitions, no factory');
        assert.deepEqual([by('ota_0').typeName, by('ota_0').subtype, by('ota_0').offset], ['app', 'ota_0', 0x10000]);
        assert.deepEqual([by('ota_1').typeName, by('ota_1').subtype], ['app', 'ota_1']);
        assert.equal(by('ota_0').size, by('ota_1').size, 'an image for one slot fits the other');
        assert.ok(by('ota_0').size >= 0x180000, 'each app slot holds at least 1.5 MB');
        assert.deepEqual([by('otadata').typeName, by('otadata').subtype, by('otadata').size], ['data', 'ota', 0x2000]);
        const lwm2m = parts.filter((p) => p.name === 'lwm2m');
        assert.equal(lwm2m.length, 1);
        const store = lwm2m[0]!;
        assert.equal(store.type, 0x01, 'data partition');
        assert.equal(parseNumber(store.subtype), 0x99, 'custom data subtype 0x99');
        assert.equal(store.offset % 0x1000, 0);
        assert.equal(store.size % 0x1000, 0);
        assert.ok(store.size >= 2 * 0x1000, 'the store needs at least two sectors');
      });
    });
  }
});

describe('partition CSV parser (the checker itself)', () => {
  it('reads hex, decimal and K/M sizes', () => {
    assert.equal(parseNumber('0x4000'), 0x4000);
    assert.equal(parseNumber('16384'), 16384);
    assert.equal(parseNumber('16K'), 16384);
    assert.equal(parseNumber('1M'), 1048576);
    assert.equal(parseNumber('0x10k'), 16 * 1024);
    assert.throws(() => parseNumber('12Q'));
  });

  it('skips comments and places empty offsets with ESP-IDF alignment (app 64K, data 4K)', () => {
    const parts = parsePartitionCsv(
      ['# Name, Type, SubType, Offset, Size', 'nvs, data, nvs, , 0x5000', '', 'app0, app, factory, , 1M', 'store, data, 0x99, , 8K,'].join(
        '\n',
      ),
    );
    assert.deepEqual(
      parts.map((p) => [p.name, p.offset, p.size]),
      [
        ['nvs', 0x9000, 0x5000],
        ['app0', 0x10000, 0x100000],
        ['store', 0x110000, 0x2000],
      ],
    );
    assert.ok(parts.every((p) => p.offsetWasAuto));
  });

  it('flags overlaps, misalignment, odd sizes and overflow', () => {
    const parts = parsePartitionCsv(
      [
        'a, data, nvs, 0x9000, 0x6000',
        'b, data, 0x99, 0xe000, 0x1000',
        'c, app, factory, 0x18000, 0x100000',
        'd, data, 0x99, 0x3ff000, 0x1800',
      ].join('\n'),
    );
    const problems = checkPartitions(parts, FLASH_4MB).join('\n');
    assert.match(problems, /a and b overlap/);
    assert.match(problems, /c: offset 0x18000 not 64K aligned/);
    assert.match(problems, /d: size 0x1800 not a positive multiple of 4K/);
    assert.match(problems, /d: ends at 0x400800, beyond flash/);
  });
});

// The board manifests sit next to their partitions.csv; make sure no board
// folder exists without being wired into the library.
describe('device boards are all wired', () => {
  it('every boards/<name>/ is reachable from manifest_lwm2m.json', () => {
    const wired = new Set(
      manifestIncludes(LIBRARY)
        .map((i) => i.path)
        .filter((p) => !isExternal(p))
        .map((p) => dirname(p)),
    );
    const folders = readdirSync(join(REPO, 'boards'))
      .map((n) => join(REPO, 'boards', n))
      .filter((p) => statSync(p).isDirectory());
    assert.deepEqual(folders.filter((f) => !wired.has(f)).map(rel), []);
  });
});

// The ESP32 half of Firmware Update that is our own C (firmware/platform/
// moddable/esp32/ota-boot.c, over ESP-IDF's app_update API) and the lin
// runtime's reset (firmware/platform/lin/exit.c; and its random bytes, lin/entropy.c, for the host only): no ESP-IDF is installed
// here, so ota-boot.c is compiled against esp-idf-ota.h, our declarations of
// the ESP-IDF functions it calls, with -Wall -Wextra -Werror -Wconversion for
// the host and for 32-bit Xtensa; then a host harness answers those calls
// from a model of otadata and checks what each host function returns.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../../build/build-c';
import { HOST, OBJ_DIR, XS_INCLUDES, XTENSA, XTENSA_GCC, XTENSA_SPECS, requireTool, type Target } from '../../build/c-test/native-checks';

const REPO = join(import.meta.dirname, '../..');
const ESP32_DIR = join(REPO, 'firmware/platform/moddable/esp32');
const STRICT = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wshadow', '-Wconversion'];
const OUT = join(OBJ_DIR, 'ota-boot');

function cc(t: Target, args: string[]): void {
  const r = spawnSync(t.cc, [...t.pre, ...STRICT, t.opt, `-I${XS_INCLUDES}`, ...args], { encoding: 'utf8' });
  if (r.error) throw new BuildError(`${t.cc}: ${r.error.message}`);
  assert.equal(r.status, 0, `${t.cc} ${args.join(' ')}\n${r.stderr}`);
}

function textSize(t: Target, obj: string): number {
  const r = spawnSync(t.size, [obj], { encoding: 'utf8' });
  return Number(r.stdout.trim().split('\n')[1]!.trim().split(/\s+/)[0]);
}

describe('Firmware Update native code: esp32/ota-boot.c (against our ESP-IDF declarations) and lin/exit.c; lin/entropy.c', function () {
  this.timeout(60_000);
  let harness: string;

  before(() => {
    requireTool('gcc', 'install gcc (apt-get install -y gcc)');
    requireTool(XTENSA_GCC, 'install the cross compiler (apt-get install -y gcc-xtensa-lx106 picolibc-xtensa-lx106-elf)');
    void XTENSA_SPECS;
    mkdirSync(join(OUT, 'host'), { recursive: true });
    mkdirSync(join(OUT, 'xtensa-lx106'), { recursive: true });
    harness = join(OUT, 'ota-boot-harness');
  });

  it('compiles warning-free (-Wall -Wextra -Werror -Wconversion) for the host and Xtensa', () => {
    const sizes: string[] = [];
    for (const t of [HOST, XTENSA]) {
      const dir = join(OUT, t.name);
      cc(t, ['-DXS_LWM2M_IDF_DECLS', `-I${ESP32_DIR}`, '-c', join(ESP32_DIR, 'ota-boot.c'), '-o', join(dir, 'ota-boot.o')]);
      cc(t, ['-c', join(REPO, 'firmware/platform/lin/exit.c'), '-o', join(dir, 'exit.o')]);
      // The lin runtime's random bytes (getrandom(2)): Linux only.
      if (t === HOST) cc(t, ['-c', join(REPO, 'firmware/platform/lin/entropy.c'), '-o', join(dir, 'entropy.o')]);
      sizes.push(`${t.name} ota-boot ${textSize(t, join(dir, 'ota-boot.o'))} B text`);
    }
    cc(HOST, [
      '-DXS_LWM2M_IDF_DECLS',
      `-I${ESP32_DIR}`,
      join(REPO, 'host-tests/native/ota-boot-harness.c'),
      join(ESP32_DIR, 'ota-boot.c'),
      '-o',
      harness,
    ]);
    console.log(`      ${sizes.join('; ')}`);
  });

  const run = (...args: string[]) => {
    const r = spawnSync(harness, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
    );
  };

  it("tells a trial boot (PENDING_VERIFY), confirms it, and gives the next partition's size and the running header", () => {
    const v = run('ota_1', '1', '1', '0');
    assert.equal(v.runningState, '1');
    assert.equal(v.rolledBack, '0');
    assert.equal(v.capacity, String(0x1f0000));
    assert.equal(v.readRunning, 'buffer 288 20 21 22 23', 'the first bytes of ota_1 (at 0x200000)');
    assert.equal(v.markValid, '1');
    assert.equal(v.runningStateAfter, '2', 'VALID once confirmed');
  });

  it('says -1 for a partition without OTA state (factory, or UNDEFINED), reports a rollback, and 0 capacity without an update partition', () => {
    const f = run('factory', '-2', '0', '0');
    assert.equal(f.runningState, '-1');
    assert.equal(f.capacity, '0');
    const u = run('ota_0', 'undef', '1', '1');
    assert.equal(u.runningState, '-1');
    assert.equal(u.rolledBack, '1');
  });

  it('refuses a header read beyond its 512-byte buffer, and restarts', () => {
    const v = run('ota_0', '2', '1', '0', '513', 'restart');
    assert.equal(v.readRunningTooLong, undefined);
    assert.equal(v.throw, 'invalid length');
    const r = run('ota_0', '2', '1', '0', '512', 'restart');
    assert.match(r.readRunningTooLong ?? '', /^buffer 512/);
    assert.equal(r.restart, '1');
  });
});

// Queue Mode's deep sleep on an ESP32 is our own C (firmware/platform/moddable/
// esp32/deep-sleep.c, over ESP-IDF's sleep API): no ESP-IDF is installed here,
// so it is compiled against esp-idf-sleep.h, our declarations of the ESP-IDF
// functions it calls, with -Wall -Wextra -Werror -Wshadow -Wconversion for the
// host and for 32-bit Xtensa; then a host harness (deep-sleep-harness.c)
// answers those calls from a model and checks each host function: the RTC
// record (written, read back with the time slept, refused when a bit of it
// changed, bounded, cleared), the wake causes, and the wake sources a sleep arms.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BuildError } from '../../build/build-c';
import { HOST, OBJ_DIR, XS_INCLUDES, XTENSA, XTENSA_GCC, requireTool, type Target } from '../../build/c-test/native-checks';

const REPO = join(import.meta.dirname, '../..');
const ESP32_DIR = join(REPO, 'firmware/platform/moddable/esp32');
const STRICT = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wshadow', '-Wconversion'];
const OUT = join(OBJ_DIR, 'deep-sleep');
/** esp_sleep_source_t values of the harness's model (esp-idf-sleep.h). */
const CAUSE = { UNDEFINED: 0, EXT0: 2, EXT1: 3, TIMER: 4, GPIO: 7, UART: 8 } as const;

function cc(t: Target, args: string[]): void {
  const r = spawnSync(t.cc, [...t.pre, ...STRICT, t.opt, `-I${XS_INCLUDES}`, '-DXS_LWM2M_IDF_DECLS', `-I${ESP32_DIR}`, ...args], {
    encoding: 'utf8',
  });
  if (r.error) throw new BuildError(`${t.cc}: ${r.error.message}`);
  assert.equal(r.status, 0, `${t.cc} ${args.join(' ')}\n${r.stderr}`);
}

describe('deep sleep native code: esp32/deep-sleep.c against our ESP-IDF declarations', function () {
  this.timeout(60_000);
  let harness: string;

  before(() => {
    requireTool('gcc', 'install gcc (apt-get install -y gcc)');
    requireTool(XTENSA_GCC, 'install the cross compiler (apt-get install -y gcc-xtensa-lx106 picolibc-xtensa-lx106-elf)');
    for (const t of [HOST, XTENSA]) mkdirSync(join(OUT, t.name), { recursive: true });
    harness = join(OUT, 'deep-sleep-harness');
  });

  it('compiles warning-free (-Wall -Wextra -Werror -Wshadow -Wconversion) for the host and Xtensa', () => {
    const sizes: string[] = [];
    for (const t of [HOST, XTENSA]) {
      const obj = join(OUT, t.name, 'deep-sleep.o');
      cc(t, ['-c', join(ESP32_DIR, 'deep-sleep.c'), '-o', obj]);
      const r = spawnSync(t.size, [obj], { encoding: 'utf8' });
      const [text, data, bss] = r.stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
      sizes.push(`${t.name} ${text} B text, ${data! + bss!} B data (the RTC record: 2 KiB and its header)`);
    }
    cc(HOST, [join(REPO, 'host-tests/native/deep-sleep-harness.c'), '-o', harness]);
    console.log(`      ${sizes.join('; ')}`);
  });

  const run = (cause: number, ...script: string[]): string[] => {
    const r = spawnSync(harness, [String(cause), ...script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  };

  it('keeps a record of up to 2 KiB with the time since it was written, refuses one whose bytes changed, and clears it', () => {
    const out = run(
      CAUSE.TIMER,
      'capacity',
      'read',
      'age',
      'write:300',
      'read',
      'clock:29500',
      'age',
      'write:2048',
      'read',
      'write:2049',
      'write:0',
      'read',
      'corrupt:100',
      'read',
      'age',
      'write:10',
      'clear',
      'read',
      'age',
    );
    assert.deepEqual(out, [
      'capacity 2048',
      'read undefined',
      'age 0',
      'write 1',
      'read buffer 300 00 01 02 03',
      'age 29500',
      'write 1',
      'read buffer 2048 00 01 02 03',
      'write 0',
      'write 0',
      'read buffer 2048 00 01 02 03',
      'read undefined',
      'age 0',
      'write 1',
      'clear undefined',
      'read undefined',
      'age 0',
    ]);
  });

  it('tells the wake cause: the timer, ext0, ext1 (and the GPIO wake of chips without ext0/ext1), power-on, other', () => {
    const cause = (c: number) => run(c, 'cause')[0];
    assert.equal(cause(CAUSE.TIMER), 'cause 1');
    assert.equal(cause(CAUSE.EXT0), 'cause 2');
    assert.equal(cause(CAUSE.EXT1), 'cause 3');
    assert.equal(cause(CAUSE.GPIO), 'cause 3');
    assert.equal(cause(CAUSE.UNDEFINED), 'cause 0');
    assert.equal(cause(CAUSE.UART), 'cause 4');
  });

  it('arms the timer in µs and the GPIO the build names (with the pull toward its idle level), then sleeps', () => {
    assert.deepEqual(run(CAUSE.TIMER, 'sleep:29500:-1:0:0:0'), ['timer 29500000', 'deep-sleep 1']);
    assert.deepEqual(
      run(CAUSE.TIMER, 'sleep:60000:0:0:0:0'),
      ['timer 60000000', 'ext0 0 0', 'pullup 0', 'deep-sleep 1'],
      'the BOOT button to ground',
    );
    assert.deepEqual(run(CAUSE.TIMER, 'sleep:0:33:1:0:0'), ['ext0 33 1', 'pulldown 33', 'deep-sleep 1'], 'no timer, a button to 3V3');
    assert.deepEqual(
      run(CAUSE.TIMER, 'sleep:1000:-1:0:12884901888:1'),
      ['timer 1000000', 'ext1 300000000 1', 'deep-sleep 1'],
      'ext1: GPIO 32 or 33 high',
    );
  });

  it('refuses a wake it cannot arm, and a negative time, before sleeping', () => {
    assert.deepEqual(run(CAUSE.TIMER, 'sleep:1000:45:0:0:0'), ['timer 1000000', 'ext0 45 0', 'throw wakePin is not an RTC GPIO']);
    assert.deepEqual(run(CAUSE.TIMER, 'sleep:-5:-1:0:0:0'), ['throw invalid wake']);
  });
});

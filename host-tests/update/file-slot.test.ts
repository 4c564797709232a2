// The Node firmware-image slot (firmware/platform/node/file-slot.ts): two
// image files and a boot record with ESP-IDF's rollback rules, and a crash at
// any step of an update leaving a whole image to run, never none.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSlot } from '../../firmware/platform/node/file-slot';
import { hostImageFormat } from '../../firmware/lwm2m/firmware-update/image';
import { testImage } from './support/images';

const V1 = testImage('1.0.0', 8000);
const V2 = testImage('2.0.0', 12000);

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'xs-lwm2m-slot-'));
  dirs.push(d);
  return d;
}

/** Writes `img` through the port in 1 KiB pieces and activates it; the first error text, if any. */
function install(slot: FileSlot, img: Uint8Array): string | undefined {
  const e = slot.open();
  if (e) return e;
  for (let i = 0; i < img.length; i += 1024) {
    const w = slot.write(img.subarray(i, i + 1024));
    if (w) return w;
  }
  return slot.close() ?? slot.activate();
}

/** The running image's version and whether its bytes are exactly one of the images we wrote. */
function running(slot: FileSlot): { version: string; whole: boolean } {
  const c = slot.current;
  if (!c) return { version: 'factory', whole: true };
  const bytes = new Uint8Array(readFileSync(c.path));
  const head = hostImageFormat.inspect(bytes.subarray(0, hostImageFormat.headerLength));
  const version = head.ok ? head.info.version : '?';
  const whole = [V1, V2].some((img) => img.length === bytes.length && img.every((b, i) => b === bytes[i]));
  return { version, whole };
}

const noRestart = { restart: () => {} };

describe('file-backed firmware slot (Node)', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('starts on the factory firmware, boot normal', () => {
    const slot = new FileSlot(freshDir(), noRestart);
    assert.equal(slot.boot, 'normal');
    assert.equal(slot.current, null);
    assert.equal(slot.readCurrent(64), null);
    assert.equal(slot.capacity, 1 << 20);
  });

  it('activate names the new image current on trial and restarts; the next boot is its trial, confirm keeps it', () => {
    const dir = freshDir();
    let restarts = 0;
    const slot = new FileSlot(dir, {
      restart: () => {
        restarts++;
      },
    });
    assert.equal(install(slot, V1), undefined);
    assert.equal(restarts, 1);
    const booted = new FileSlot(dir, noRestart);
    assert.equal(booted.boot, 'trial');
    assert.deepEqual(running(booted), { version: '1.0.0', whole: true });
    assert.equal(hostImageFormat.inspect(booted.readCurrent(hostImageFormat.headerLength)!).ok, true);
    booted.confirm();
    const again = new FileSlot(dir, noRestart);
    assert.equal(again.boot, 'normal');
    assert.deepEqual(running(again), { version: '1.0.0', whole: true });
  });

  it('a second boot of an unconfirmed trial image rolls back to the previous image, and says so until confirm()', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    new FileSlot(dir, noRestart).confirm();
    assert.equal(install(new FileSlot(dir, noRestart), V2), undefined);
    const trial = new FileSlot(dir, noRestart);
    assert.equal(trial.boot, 'trial');
    assert.equal(running(trial).version, '2.0.0');
    // reset before it confirmed itself
    const back = new FileSlot(dir, noRestart);
    assert.equal(back.boot, 'rolled-back');
    assert.deepEqual(running(back), { version: '1.0.0', whole: true });
    assert.equal(new FileSlot(dir, noRestart).boot, 'rolled-back', 'still rolled back at the next boot');
    const s = new FileSlot(dir, noRestart);
    s.confirm();
    assert.equal(new FileSlot(dir, noRestart).boot, 'normal');
  });

  it('rolls a first update back to the factory firmware', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    assert.equal(new FileSlot(dir, noRestart).boot, 'trial');
    const back = new FileSlot(dir, noRestart);
    assert.equal(back.boot, 'rolled-back');
    assert.equal(back.current, null);
  });

  it('refuses an update while the running image is on trial (as esp_ota_begin does)', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    const trial = new FileSlot(dir, noRestart);
    assert.match(trial.open() ?? '', /on trial/);
    trial.confirm();
    assert.equal(trial.open(), undefined);
    trial.abort();
  });

  it('bounds the image by the capacity; abort leaves the running image as it was', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    new FileSlot(dir, noRestart).confirm();
    const slot = new FileSlot(dir, { ...noRestart, capacity: 10_000 });
    assert.equal(slot.capacity, 10_000);
    assert.equal(slot.open(), undefined);
    assert.equal(slot.write(V2.subarray(0, 9000)), undefined);
    assert.equal(slot.write(V2.subarray(9000, 11000)), 'the image is larger than the slot (10000 bytes)');
    slot.abort();
    assert.equal(existsSync(slot.imagePath('b')), false, 'the partial image is gone');
    assert.equal(slot.activate(), 'no complete image to activate');
    const after = new FileSlot(dir, noRestart);
    assert.equal(after.boot, 'normal');
    assert.deepEqual(running(after), { version: '1.0.0', whole: true });
  });

  it('answers misuse with a text, never a throw', () => {
    const slot = new FileSlot(freshDir(), noRestart);
    assert.equal(slot.write(new Uint8Array(4)), 'no image is open');
    assert.equal(slot.close(), 'no image is open');
    assert.equal(slot.activate(), 'no complete image to activate');
    assert.equal(slot.open(), undefined);
    assert.equal(slot.close(), 'the image is empty');
    assert.equal(slot.open(), undefined);
    assert.equal(slot.write(new Uint8Array(4)), undefined);
    assert.equal(slot.activate(), 'no complete image to activate', 'not closed yet');
  });

  it('an image shorter on disk than the record says is not run: the previous one is', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    new FileSlot(dir, noRestart).confirm();
    assert.equal(install(new FileSlot(dir, noRestart), V2), undefined);
    truncateSync(join(dir, 'image-b.bin'), 5000);
    const s = new FileSlot(dir, noRestart);
    assert.equal(s.boot, 'rolled-back');
    assert.deepEqual(running(s), { version: '1.0.0', whole: true });
  });

  it('a boot record damaged by hand boots the factory firmware', () => {
    const dir = freshDir();
    assert.equal(install(new FileSlot(dir, noRestart), V1), undefined);
    writeFileSync(join(dir, 'boot.json'), '{"current":');
    const s = new FileSlot(dir, noRestart);
    assert.equal(s.current, null);
  });

  describe('a crash at every step of an update', () => {
    /** Installs V1 (confirmed), then V2 up to its first boot; `crash` may throw before any step of the V2 part. */
    function scenario(dir: string, crash: (step: string) => void): void {
      let live = false;
      const beforeStep = (s: string) => {
        if (live) crash(s);
      };
      assert.equal(install(new FileSlot(dir, { ...noRestart, beforeStep }), V1), undefined);
      new FileSlot(dir, { ...noRestart, beforeStep }).confirm();
      live = true;
      const slot = new FileSlot(dir, { ...noRestart, beforeStep });
      const e = install(slot, V2);
      if (e) throw new Error(e);
      new FileSlot(dir, { ...noRestart, beforeStep }); // V2's trial boot
    }

    const steps: string[] = [];
    scenario(freshDir(), (s) => steps.push(s));

    it(`lists the steps of an update (${steps.length})`, () => {
      assert.deepEqual([...new Set(steps)].sort(), [
        'fsync directory',
        'fsync image',
        'fsync record',
        'open',
        'rename record',
        'restart',
        'write',
        'write record',
      ]);
    });

    it('stops before each step in turn (thrown): the next boot runs V1 or V2, whole, and V2 unconfirmed falls back to a whole V1', () => {
      const seen: string[] = [];
      steps.forEach((name, n) => {
        const dir = freshDir();
        // The slot turns a failing file-system call into an error text; the scenario stops there either way.
        let k = 0;
        assert.throws(() =>
          scenario(dir, () => {
            if (k++ === n) throw new Error(`crash before ${name}`);
          }),
        );
        const boot = new FileSlot(dir, noRestart);
        const r = running(boot);
        assert.ok(r.whole, `step ${n} (${name}): the running image is whole`);
        assert.ok(r.version === '1.0.0' || r.version === '2.0.0', `step ${n} (${name}): ${r.version}`);
        seen.push(`${name}→${r.version}/${boot.boot}`);
        if (r.version === '2.0.0') {
          assert.equal(boot.boot, 'trial');
          const back = new FileSlot(dir, noRestart);
          assert.equal(back.boot, 'rolled-back');
          assert.deepEqual(running(back), { version: '1.0.0', whole: true }, `step ${n} (${name}): rollback`);
        }
        rmSync(dir, { recursive: true, force: true });
      });
      // Up to the rename of the record V1 runs; from then on V2 is on trial (or already rolled back
      // when the crash came after its trial boot was recorded).
      const firstV2 = steps.indexOf('rename record') + 1;
      assert.ok(
        seen.slice(0, firstV2).every((s) => s.endsWith('1.0.0/normal')),
        seen.join(' '),
      );
      assert.ok(
        seen.slice(firstV2).every((s) => /2\.0\.0\/trial|1\.0\.0\/rolled-back/.test(s)),
        seen.join(' '),
      );
    });

    const child = fileURLToPath(new URL('./support/slot-crash.ts', import.meta.url));
    const cases: Array<[string, number, string, string]> = [
      ['open', 1, '1.0.0', 'normal'],
      ['write', 6, '1.0.0', 'normal'],
      ['fsync image', 1, '1.0.0', 'normal'],
      ['fsync record', 1, '1.0.0', 'normal'],
      ['rename record', 1, '1.0.0', 'normal'],
      ['fsync directory', 1, '2.0.0', 'trial'],
      ['restart', 1, '2.0.0', 'trial'],
      ['rename record', 2, '2.0.0', 'trial'],
      ['fsync directory', 2, '1.0.0', 'rolled-back'],
    ];
    for (const [step, at, version, boot] of cases) {
      it(`process killed (SIGKILL) before "${step}" #${at}: the next boot runs ${version} (${boot})`, function () {
        this.timeout(30_000);
        const dir = freshDir();
        const r = spawnSync(process.execPath, ['--import', 'tsx', child], {
          env: { ...process.env, SLOT_DIR: dir, CRASH_STEP: step, CRASH_AT: String(at) },
          encoding: 'utf8',
        });
        assert.equal(r.signal, 'SIGKILL', `the child died at the step (status ${r.status}, ${r.stderr})`);
        const s = new FileSlot(dir, noRestart);
        assert.deepEqual({ ...running(s), boot: s.boot }, { version, whole: true, boot });
      });
    }
  });
});

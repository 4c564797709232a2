// Child process of file-slot.test.ts: installs image v1 (confirmed), then
// writes v2 and activates it, and kills itself (SIGKILL, no clean-up, no
// exit handlers) just before the file-system step named by CRASH_STEP, at its
// CRASH_AT-th occurrence (1-based). Exits 0 when it never met that step.
import { FileSlot } from '../../../firmware/platform/node/file-slot';
import { testImage } from './images';

const dir = process.env.SLOT_DIR!,
  step = process.env.CRASH_STEP!,
  at = Number(process.env.CRASH_AT ?? '1');
let seen = 0,
  live = false;
const beforeStep = (s: string) => {
  if (live && s === step && ++seen === at) process.kill(process.pid, 'SIGKILL');
};
const install = (version: string, size: number) => {
  const slot = new FileSlot(dir, { restart: () => {}, beforeStep });
  if (slot.boot === 'trial') slot.confirm();
  const img = testImage(version, size);
  const fail =
    slot.open() ??
    (() => {
      for (let i = 0; i < img.length; i += 1024) {
        const e = slot.write(img.subarray(i, i + 1024));
        if (e) return e;
      }
      return undefined;
    })() ??
    slot.close() ??
    slot.activate();
  if (fail) {
    process.stderr.write(fail + '\n');
    process.exit(3);
  }
};
install('1.0.0', 8000);
new FileSlot(dir, { restart: () => {}, beforeStep }).confirm(); // v1 boots on trial and confirms itself
live = true;
install('2.0.0', 12000);
new FileSlot(dir, { restart: () => {}, beforeStep }); // v2's first (trial) boot
process.exit(0);

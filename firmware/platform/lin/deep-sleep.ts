// `deep-sleep` (firmware/platform/moddable/esp32/deep-sleep.c on a board) for
// the Moddable Linux runtime: a deep sleep is the end of the process with the
// status EXIT_DEEP_SLEEP after the line `[lin] deep sleep <ms> ms`; whoever
// started it (host-tests/moddable/lin-device.ts), standing in for the RTC
// timer, starts it again that much later. RTC memory is a file that outlives
// the process as RTC memory outlives a deep sleep; a power loss is that file
// deleted (the test does it):
//
//   <flashDirectory>xs-lwm2m-rtc.bin    'R' 'T' 'C' 1, u8 slept, 3 spare, u32 length, f64 written (ms since
//                                       the epoch), the record (little-endian)
//   <flashDirectory>xs-lwm2m-wake-gpio  present at a wake: the wake GPIO woke it (the test presses the button)
//
// The file is replaced whole (a temporary file renamed over it), so a process
// ended at any point leaves the old record or the new one.
import config from 'mc/config';
import { File } from 'file';
import { exit } from 'lin-exit';

declare const trace: (line: string) => void;

/** Exit status of a deep sleep, beside 75 (restart) and 70 (crash) (lin/ota-boot.ts). */
export const EXIT_DEEP_SLEEP = 76;
/** As the ESP32's RTC buffer (esp32/deep-sleep.c). */
const CAPACITY = 2048;
const HEADER = 20;
/** deep-sleep wakeCause() values (as esp32/deep-sleep.c). */
const POWER_ON = 0,
  TIMER = 1,
  GPIO = 2;

const dir = String((config as Record<string, unknown>).flashDirectory ?? '/tmp/');
const rtcPath = `${dir}xs-lwm2m-rtc.bin`;
const gpioPath = `${dir}xs-lwm2m-wake-gpio`;

// Read at the first call of a run (module-level bindings stay writable when the module is preloaded).
let record: { bytes: Uint8Array; at: number } | null | undefined;
let cause = POWER_ON;

function load(): void {
  if (record !== undefined) return;
  record = null;
  if (!File.exists(rtcPath)) return;
  let raw: Uint8Array;
  try {
    const f = new File(rtcPath);
    raw = new Uint8Array(f.read(ArrayBuffer, f.length) as ArrayBuffer);
    f.close();
  } catch {
    return;
  }
  const v = new DataView(raw.buffer);
  if (raw.length < HEADER || raw[0] !== 0x52 || raw[1] !== 0x54 || raw[2] !== 0x43 || raw[3] !== 1) return;
  const length = v.getUint32(8, true);
  if (length > 0 && HEADER + length === raw.length) record = { bytes: raw.slice(HEADER), at: v.getFloat64(12, true) };
  if (raw[4] === 1) {
    // This boot ends a deep sleep; the flag goes, so a reset later in this run is not taken for one.
    cause = File.exists(gpioPath) ? GPIO : TIMER;
    if (File.exists(gpioPath)) File.delete(gpioPath);
    save(record, false);
  }
}

function save(r: { bytes: Uint8Array; at: number } | null, slept: boolean): void {
  const n = r === null ? 0 : r.bytes.length;
  const out = new Uint8Array(HEADER + n);
  out.set([0x52, 0x54, 0x43, 1, slept ? 1 : 0]);
  const v = new DataView(out.buffer);
  v.setUint32(8, n, true);
  v.setFloat64(12, r === null ? 0 : r.at, true);
  if (r !== null) out.set(r.bytes, HEADER);
  const tmp = `${rtcPath}.tmp`;
  if (File.exists(tmp)) File.delete(tmp);
  const f = new File(tmp, true);
  f.write(out.buffer);
  f.close();
  if (!File.rename(tmp, rtcPath)) throw new Error('rtc: rename failed');
}

export function capacity(): number {
  return CAPACITY;
}

export function read(): ArrayBuffer | undefined {
  load();
  return record ? record.bytes.slice().buffer : undefined;
}

export function age(): number {
  load();
  return record ? Math.max(0, Date.now() - record.at) : 0;
}

export function write(data: ArrayBuffer): boolean {
  load();
  if (data.byteLength > CAPACITY || data.byteLength === 0) return false;
  record = { bytes: new Uint8Array(data.slice(0)), at: Date.now() };
  save(record, false);
  return true;
}

export function clear(): void {
  load();
  if (!record) return;
  record.bytes.fill(0);
  record = null;
  save(null, false);
}

export function wakeCause(): number {
  load();
  return cause;
}

/** The process ends; the harness starts it again after `ms` (or at once, with the wake GPIO file, for a button). */
export function sleep(ms: number, _pin: number, _level: number, _mask: number, _anyHigh: number): void {
  load();
  save(record ?? null, true);
  trace(`[lin] deep sleep ${Math.max(0, Math.round(ms))} ms\n`);
  exit(EXIT_DEEP_SLEEP);
}

// `ota-boot` (firmware/platform/moddable/esp32/ota-boot.c on a board) for the
// Moddable Linux runtime: the two app partitions are two files, and otadata a
// small record file, with ESP-IDF's app rollback rules, so the firmware-image
// port (platform/moddable/firmware-slot) meets on lin what it meets on an
// ESP32 with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE:
//
//   <flashDirectory>xs-lwm2m-ota_0.bin, xs-lwm2m-ota_1.bin   ota_0, ota_1 (host images)
//   <flashDirectory>xs-lwm2m-otadata.json                    { boot, state[2], length[2] }
//
// The first call in a run does what the bootloader does before the app: an
// image set to boot (NEW) becomes PENDING_VERIFY and runs; one that is still
// PENDING_VERIFY (it was booted and never confirmed) becomes ABORTED and the
// other one runs (or the factory firmware, which is no file: `boot` null).
// restart() is the reset: the process ends with EXIT_RESTART and whoever
// started it starts it again on the same directory (host-tests/moddable).
// `simFailVersion=<v>` in the build makes an image of that version crash at
// start, before it can register (exit EXIT_CRASH): a trial that does not start.
// The record is replaced whole (a temporary file renamed over it); the SDK's
// File flushes each write but cannot fsync, so this survives the process
// ending at any point, not the host losing power.
import config from 'mc/config';
import { File } from 'file';
import { exit } from 'lin-exit';

declare const trace: (line: string) => void;

/** Exit statuses of a lin run (host-tests/moddable/lin-run.ts): a requested reset, a crash. */
export const EXIT_RESTART = 75;
export const EXIT_CRASH = 70;

/** esp_ota_img_states_t; NONE: never written (ESP_OTA_IMG_UNDEFINED for a flashed image). */
const NEW = 0,
  PENDING_VERIFY = 1,
  VALID = 2,
  INVALID = 3,
  ABORTED = 4,
  NONE = -1;

type Slot = 0 | 1;

interface OtaData {
  /** The partition set to boot; null: the factory firmware. */
  boot: Slot | null;
  state: [number, number];
  /** Bytes of each image as completed (a file of another length is damaged: INVALID). */
  length: [number, number];
}

interface LinOtaConfig {
  flashDirectory?: string;
  flashPartitions?: Readonly<Record<string, number>>;
  simFailVersion?: string;
}

const c = config as unknown as LinOtaConfig;
const dir = c.flashDirectory ?? '/tmp/';
const recordPath = `${dir}xs-lwm2m-otadata.json`;

/** The file of an app partition. */
export function imagePath(slot: Slot): string {
  return `${dir}xs-lwm2m-ota_${slot}.bin`;
}

// Set at the first call of a run (module-level bindings stay writable when the module is preloaded).
let data: OtaData | undefined;
let running: Slot | null = null;

function fresh(): OtaData {
  return { boot: null, state: [NONE, NONE], length: [0, 0] };
}

function readRecord(): OtaData {
  if (!File.exists(recordPath)) return fresh();
  try {
    const f = new File(recordPath);
    const text = f.read(String) as string;
    f.close();
    const j = JSON.parse(text) as Partial<OtaData>;
    const slot = (v: unknown): Slot | null => (v === 0 || v === 1 ? v : null);
    const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) ? v : d);
    return {
      boot: slot(j.boot),
      state: [num(j.state?.[0], NONE), num(j.state?.[1], NONE)],
      length: [num(j.length?.[0], 0), num(j.length?.[1], 0)],
    };
  } catch {
    // Only ever replaced whole: a damaged record was edited by hand. ESP-IDF boots factory on blank otadata.
    return fresh();
  }
}

function writeRecord(d: OtaData): void {
  const tmp = `${recordPath}.tmp`;
  if (File.exists(tmp)) File.delete(tmp);
  const f = new File(tmp, true);
  f.write(JSON.stringify(d));
  f.close();
  if (!File.rename(tmp, recordPath)) throw new Error('otadata: rename failed');
}

function intact(d: OtaData, s: Slot): boolean {
  if (d.length[s] <= 0 || !File.exists(imagePath(s))) return false;
  const f = new File(imagePath(s));
  const n = f.length;
  f.close();
  return n === d.length[s];
}

/** Where a rollback goes: the other partition if it holds a good image, else the factory firmware. */
function fallback(d: OtaData, from: Slot): Slot | null {
  const o: Slot = from === 0 ? 1 : 0;
  return (d.state[o] === VALID || d.state[o] === NONE) && intact(d, o) ? o : null;
}

/** The bootloader's step, once per run. */
function boot(): OtaData {
  if (data !== undefined) return data;
  const d = readRecord();
  let b = d.boot;
  let changed = false;
  if (b !== null && !intact(d, b)) {
    d.state[b] = INVALID;
    b = fallback(d, b);
    changed = true;
  } else if (b !== null && d.state[b] === NEW) {
    d.state[b] = PENDING_VERIFY;
    changed = true;
  } else if (b !== null && d.state[b] === PENDING_VERIFY) {
    trace(`[lin] bootloader: ota_${b} was not confirmed; rolled back\n`);
    d.state[b] = ABORTED;
    b = fallback(d, b);
    changed = true;
  } else if (b !== null && (d.state[b] === ABORTED || d.state[b] === INVALID)) {
    b = fallback(d, b);
    changed = true;
  }
  d.boot = b;
  if (changed) writeRecord(d);
  data = d;
  running = b;
  trace(`[lin] bootloader: running ${b === null ? 'factory' : `ota_${b}`}\n`);
  if (b !== null && c.simFailVersion !== undefined && c.simFailVersion !== '' && versionOf(b) === c.simFailVersion) {
    trace(`[lin] firmware ${c.simFailVersion} crashes at start (simFailVersion)\n`);
    exit(EXIT_CRASH);
  }
  return d;
}

/** The version in a host image's header (bytes 5, 6: name and version lengths; 12: name). */
function versionOf(s: Slot): string | undefined {
  const h = headOf(s, 12 + 64);
  if (h === undefined || h.byteLength < 12) return undefined;
  const v = new Uint8Array(h);
  let out = '';
  for (let i = 12 + v[5]!; i < 12 + v[5]! + v[6]! && i < v.length; i++) out += String.fromCharCode(v[i]!);
  return out;
}

function headOf(s: Slot, length: number): ArrayBuffer | undefined {
  if (!File.exists(imagePath(s))) return undefined;
  const f = new File(imagePath(s));
  try {
    const n = Math.min(length, f.length);
    return n > 0 ? (f.read(ArrayBuffer, n) as ArrayBuffer) : undefined;
  } finally {
    f.close();
  }
}

// ------------------------------------------------------------ the ota-boot API (as esp32/ota-boot.c)

/** esp_ota_get_state_partition(running); -1 for the factory firmware. */
export function runningState(): number {
  const d = boot();
  return running === null ? NONE : d.state[running];
}

/** esp_ota_mark_app_valid_cancel_rollback(). */
export function markValid(): boolean {
  const d = boot();
  if (running !== null && d.state[running] !== VALID) {
    d.state[running] = VALID;
    writeRecord(d);
  }
  return true;
}

/** esp_ota_get_last_invalid_partition() !== NULL. */
export function rolledBack(): boolean {
  const d = boot();
  return d.state[0] === ABORTED || d.state[0] === INVALID || d.state[1] === ABORTED || d.state[1] === INVALID;
}

/** The size of the partition the next update goes to (ota_0 / ota_1 in flashPartitions). */
export function capacity(): number {
  boot();
  return c.flashPartitions?.[`ota_${nextSlot()}`] ?? 0;
}

/** The first bytes of the running image; undefined for the factory firmware. */
export function readRunning(length: number): ArrayBuffer | undefined {
  boot();
  return running === null ? undefined : headOf(running, length);
}

/** esp_restart(): this run ends, the harness starts the next one. */
export function restart(): void {
  trace('[lin] restart\n');
  exit(EXIT_RESTART);
}

// ------------------------------------------------------------ for the `ota` shim (lin/ota.ts)

/** esp_ota_get_next_update_partition(NULL). */
export function nextSlot(): Slot {
  boot();
  return running === 0 ? 1 : 0; // factory → ota_0, as ESP-IDF
}

/** esp_ota_begin refuses while the running image is on trial. */
export function mayBegin(): boolean {
  return runningState() !== PENDING_VERIFY;
}

/** esp_ota_set_boot_partition(slot): NEW, booted (and made PENDING_VERIFY) at the next start. */
export function setBoot(slot: Slot, length: number): void {
  const d = boot();
  d.boot = slot;
  d.state[slot] = NEW;
  d.length[slot] = length;
  writeRecord(d);
}

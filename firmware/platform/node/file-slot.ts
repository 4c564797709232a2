// The firmware-image port (ports.ts FirmwareSlot) for Node: two image files
// in a state directory stand in for the ESP32's two OTA app partitions, and a
// small boot record stands in for otadata, with ESP-IDF's app rollback rules.
//
//   <dir>/image-a.bin, <dir>/image-b.bin   the two slots
//   <dir>/boot.json                        { current, previous, trial, trialBoots, rolledBack, length }
//
// The boot record is only ever replaced whole (written to boot.json.tmp,
// fsynced, renamed over boot.json, the directory fsynced), so a crash at any
// instant leaves the old record or the new one. An update is written into the
// slot the record does not name as current, so until the record changes the
// running image is untouched; after it changes, the new image is complete on
// disk (fsynced at close()). Either way one whole image is there to run: the
// previous one, or the new one (or the factory firmware, which is no file).
//
// Boots (one per FileSlot constructed, as one per reset on a board):
//   - the record names an image on trial not booted yet: boot = 'trial'
//     (the record now says it has booted once);
//   - an image on trial that has booted before and was never confirmed: the
//     boot falls back to the previous image (or factory), boot = 'rolled-back'
//     (ESP-IDF: an ESP_OTA_IMG_PENDING_VERIFY app reset before it called
//     esp_ota_mark_app_valid_cancel_rollback()); that stays the answer at later
//     boots until confirm() or the next activate();
//   - otherwise 'normal'.
// As ESP-IDF's esp_ota_begin, open() refuses while the running image is on
// trial: the slot being written is where the rollback would go.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { FirmwareSlot } from '../ports';
import { utf8Encode } from '../../util/utf8';

export type SlotName = 'a' | 'b';

/** What boot.json holds. */
export interface BootRecord {
  /** The image that runs (null: the factory firmware, no file). */
  current: SlotName | null;
  /** The image that ran before the current one was activated (where a rollback goes). */
  previous: SlotName | null;
  /** The current image has not been confirmed yet. */
  trial: boolean;
  /** Boots of the current image while on trial. */
  trialBoots: number;
  /** The last trial failed and the boot went back to `current`; cleared by confirm() and the next activate(). */
  rolledBack: boolean;
  /** Byte length of each slot's image as it was closed (a mismatch at boot: the image is damaged). */
  length: Partial<Record<SlotName, number>>;
}

const FACTORY: BootRecord = Object.freeze({
  current: null,
  previous: null,
  trial: false,
  trialBoots: 0,
  rolledBack: false,
  length: Object.freeze({}),
}) as BootRecord;

export interface FileSlotOptions {
  /** Largest image, bytes (default 1 MiB). */
  capacity?: number;
  /** What activate() ends with: the "reset". Called after the boot record names the new image. */
  restart: () => void;
  /**
   * Test hook: called before each file-system step that changes the state
   * directory (its name), so a test can stop the process at any of them.
   */
  beforeStep?: (step: string) => void;
}

/** Default capacity: 1 MiB (an ESP32 app slot is 1.5–2 MiB; a host image is small). */
export const DEFAULT_SLOT_CAPACITY = 1 << 20;

export class FileSlot implements FirmwareSlot {
  readonly capacity: number;
  readonly boot: 'normal' | 'trial' | 'rolled-back';
  private record: BootRecord;
  private fd = -1;
  private written = 0;
  /** The slot being written, then closed and ready to activate. */
  private target: SlotName | null = null;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly o: FileSlotOptions,
  ) {
    this.capacity = o.capacity ?? DEFAULT_SLOT_CAPACITY;
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const r = this.readRecord();
    let boot: FileSlot['boot'] = r.rolledBack ? 'rolled-back' : 'normal';
    let next = r;
    // An image not there whole (edited, truncated), or a trial that already had its boot: run what ran before it.
    if ((r.current !== null && !this.intact(r, r.current)) || (r.trial && r.trialBoots >= 1)) {
      next = { ...r, current: r.previous, previous: null, trial: false, trialBoots: 0, rolledBack: true };
      boot = 'rolled-back';
    } else if (r.trial) {
      next = { ...r, trialBoots: r.trialBoots + 1 };
      boot = 'trial';
    }
    if (next !== r) this.writeRecord(next);
    this.record = next;
    this.boot = boot;
  }

  /** The running image: its slot and file, or null for the factory firmware. */
  get current(): { slot: SlotName; path: string } | null {
    const c = this.record.current;
    return c === null ? null : { slot: c, path: this.imagePath(c) };
  }

  /** A copy of the boot record (tests, diagnostics). */
  get state(): BootRecord {
    return { ...this.record, length: { ...this.record.length } };
  }

  /** The first `n` bytes of the running image (its header), or null for the factory firmware. */
  readCurrent(n: number): Uint8Array | null {
    const c = this.current;
    if (!c) return null;
    const fd = openSync(c.path, 'r');
    try {
      const out = new Uint8Array(Math.min(n, fstatSync(fd).size));
      let done = 0;
      while (done < out.length) {
        const k = readSync(fd, out, done, out.length - done, done);
        if (k <= 0) break;
        done += k;
      }
      return out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  }

  imagePath(slot: SlotName): string {
    return join(this.dir, `image-${slot}.bin`);
  }

  open(): string | undefined {
    if (this.record.trial) return 'the running image is on trial (not confirmed yet); an update cannot start before it is';
    this.abort();
    this.target = this.record.current === 'a' ? 'b' : 'a';
    try {
      this.step('open');
      this.fd = openSync(this.imagePath(this.target), 'w');
    } catch (e) {
      this.target = null;
      return `cannot open the image slot: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    this.written = 0;
    this.closed = false;
    return undefined;
  }

  write(data: Uint8Array): string | undefined {
    if (this.fd < 0) return 'no image is open';
    if (this.written + data.length > this.capacity) return `the image is larger than the slot (${this.capacity} bytes)`;
    try {
      this.step('write');
      let done = 0;
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    } catch (e) {
      return `cannot write the image slot: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    this.written += data.length;
    return undefined;
  }

  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        /* gone */
      }
    }
    this.fd = -1;
    if (this.target !== null && this.target !== this.record.current) {
      try {
        this.step('abort');
        rmSync(this.imagePath(this.target), { force: true });
      } catch {
        /* best effort */
      }
    }
    this.target = null;
    this.written = 0;
    this.closed = false;
  }

  close(): string | undefined {
    if (this.fd < 0) return 'no image is open';
    if (this.written === 0) {
      this.abort();
      return 'the image is empty';
    }
    try {
      this.step('fsync image');
      fsyncSync(this.fd);
      closeSync(this.fd);
    } catch (e) {
      this.fd = -1;
      this.abort();
      return `cannot finish the image: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    this.fd = -1;
    this.closed = true;
    return undefined;
  }

  activate(): string | undefined {
    if (!this.closed || this.target === null) return 'no complete image to activate';
    const r = this.record;
    const next: BootRecord = {
      current: this.target,
      previous: r.current,
      trial: true,
      trialBoots: 0,
      rolledBack: false,
      length: { ...r.length, [this.target]: this.written },
    };
    try {
      this.writeRecord(next);
    } catch (e) {
      return `cannot switch to the new image: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    this.record = next;
    this.target = null;
    this.closed = false;
    this.step('restart');
    this.o.restart();
    return undefined;
  }

  confirm(): void {
    const r = this.record;
    if (!r.trial && !r.rolledBack) return;
    const next = { ...r, trial: false, trialBoots: 0, rolledBack: false };
    this.writeRecord(next);
    this.record = next;
  }

  // ------------------------------------------------------------ boot record

  private step(name: string): void {
    this.o.beforeStep?.(name);
  }

  private intact(r: BootRecord, slot: SlotName): boolean {
    const want = r.length[slot];
    try {
      return want !== undefined && statSync(this.imagePath(slot)).size === want;
    } catch {
      return false;
    }
  }

  private readRecord(): BootRecord {
    const path = join(this.dir, 'boot.json');
    if (!existsSync(path)) return FACTORY;
    try {
      const j = JSON.parse(readFileSync(path, 'utf8')) as Partial<BootRecord>;
      const slot = (v: unknown): SlotName | null => (v === 'a' || v === 'b' ? v : null);
      const len = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
      const length: BootRecord['length'] = {};
      for (const s of ['a', 'b'] as const) {
        const l = len(j.length?.[s]);
        if (l !== undefined) length[s] = l;
      }
      return {
        current: slot(j.current),
        previous: slot(j.previous),
        trial: j.trial === true,
        trialBoots: typeof j.trialBoots === 'number' ? j.trialBoots : 0,
        rolledBack: j.rolledBack === true,
        length,
      };
    } catch {
      // Never written half (rename is atomic): a damaged record was edited by hand. Run the factory firmware.
      return FACTORY;
    }
  }

  /** Replaces boot.json whole: temp file, fsync, rename, fsync of the directory. */
  private writeRecord(r: BootRecord): void {
    const path = join(this.dir, 'boot.json'),
      tmp = path + '.tmp';
    this.step('write record');
    const fd = openSync(tmp, 'w');
    try {
      const text = utf8Encode(JSON.stringify(r) + '\n');
      writeSync(fd, text, 0, text.length, 0);
      this.step('fsync record');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.step('rename record');
    renameSync(tmp, path);
    this.step('fsync directory');
    try {
      const d = openSync(this.dir, 'r');
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
    } catch {
      /* some file systems cannot fsync a directory */
    }
  }
}

// Power-safe key → bytes store on a small NOR flash partition (layout.ts).
//
// The partition is a log of sectors ordered by sector sequence. A commit is
// one record; it counts only once its trailing CRC is on flash, so a power
// cut leaves either the old or the new state. The head sector takes new
// records; when it is full the next sector (in circular order, so erases
// rotate over all sectors) is opened. One sector is always kept erased: when
// opening a sector would use the last free one, the oldest sector is
// compacted into the new one first — its still-current entries, merged with
// the pending transaction when they fit, are written as one record, then the
// oldest sector's magic is zeroed and the sector erased. A cut anywhere in
// that sequence is finished or undone by the next mount.
//
// RAM: an index key → (flash offset, length) of the current value, a few
// numbers per sector, and one sector-sized buffer while mounting or
// compacting. Values are not cached: get() reads them from flash.
//
// Longer than the other files on purpose: mount, commit and compaction are one
// state machine over the same sector bookkeeping, and the power-cut argument
// above is easiest to check with all of it in one place.

import type { Flash, Logger } from '../platform/ports';
import { silentLogger } from '../platform/ports';
import { bytesEqual } from '../util/bytes';
import {
  ALIGN,
  FORMAT_VERSION,
  MAX_VALUE_LENGTH,
  RECORD_HEADER_SIZE,
  RECORD_OVERHEAD,
  SECTOR_HEADER_SIZE,
  ENTRY_HEADER_SIZE,
  align,
  encodeRecord,
  encodeSectorHeader,
  entrySize,
  forEachEntry,
  parseRecordHeader,
  parseSectorHeader,
  recordCommitted,
  recordSize,
} from './layout';
import type { Entry } from './layout';

export { FORMAT_VERSION } from './layout';

export interface Change {
  key: number; // uint32
  value: Uint8Array | null; // null deletes
}

export type CommitError =
  | 'full' // the live data plus this transaction does not fit the partition
  | 'too-large' // one transaction must fit one sector; a value at most 65534 bytes
  | 'invalid' // a key that is not a uint32, a value that is not a Uint8Array
  | 'flash'; // the flash failed; nothing of this transaction is visible

export type CommitResult = { ok: true } | { ok: false; error: CommitError; detail: string };

export interface StoreStats {
  /** Transactions committed since mount (including ones that changed nothing). */
  commits: number;
  /** Commits answered with an error. */
  rejected: number;
  /** Of those, answered 'full'. */
  full: number;
  /** Bytes written to flash since mount: records, sector headers, invalidations. */
  bytesWritten: number;
  /** Sector erases since mount. */
  erases: number;
  /** Sectors compacted (garbage collected) since mount. */
  compactions: number;
  /** Times the partition was formatted (blank, foreign or unsupported version). */
  formats: number;
  /** Records ignored by the last scan: torn writes and CRC mismatches. */
  tornRecords: number;
  /** Unparsable bytes stepped over by the last scan (torn headers, garbage). */
  garbageBytes: number;
}

export interface StoreUsage {
  keys: number;
  /** Bytes the current entries take when compacted (entry headers included). */
  liveBytes: number;
  sectors: number;
  freeSectors: number;
  /** Bytes still free in the head sector. */
  headRoom: number;
}

export interface MountOptions {
  log?: Logger;
}

// Sector states kept in RAM.
const BLANK = 0; // erased, ready to open
const DIRTY = 1; // not in the log, not erased: erased before reuse
const LOG = 2; // valid header of the current format: part of the log

const LOC = 0x10000; // index value = flash offset * LOC + length

/** A flash operation failed; the original error is kept. */
class FlashFault extends Error {
  override readonly name: string = 'FlashFault';
  constructor(readonly original: unknown) {
    super('flash operation failed');
  }
}

const OK: CommitResult = Object.freeze({ ok: true });

export class RecordStore {
  readonly formatVersion = FORMAT_VERSION;
  readonly stats: StoreStats = {
    commits: 0,
    rejected: 0,
    full: 0,
    bytesWritten: 0,
    erases: 0,
    compactions: 0,
    formats: 0,
    tornRecords: 0,
    garbageBytes: 0,
  };
  /** Largest transaction body (sum of entry sizes) a single commit can carry. */
  readonly maxTransactionBytes: number;

  private readonly bs: number;
  private readonly n: number;
  private readonly cap: number; // record bytes per sector
  private readonly state: Uint8Array;
  private readonly sectorSeq: number[];
  private readonly usedEnd: number[]; // absolute end of the used area of a LOG sector
  private readonly hasRecords: Uint8Array; // a LOG sector holds at least one committed record
  private readonly index = new Map<number, number>();
  private head = 0;
  private cursor = 0;
  private nextSeq = 1;
  private nextSectorSeq = 1;
  private needsRescan = false;

  private constructor(
    private readonly flash: Flash,
    private readonly log: Logger,
  ) {
    const bs = flash.blockSize;
    if (!(bs >= 64 && bs <= 0x10000 && bs % ALIGN === 0)) throw new RangeError('store: unsupported flash block size');
    this.bs = bs;
    this.n = Math.floor(flash.byteLength / bs);
    if (this.n < 2) throw new RangeError('store: the partition needs at least two sectors');
    this.cap = bs - SECTOR_HEADER_SIZE;
    this.maxTransactionBytes = this.cap - RECORD_OVERHEAD;
    this.state = new Uint8Array(this.n);
    this.sectorSeq = new Array<number>(this.n).fill(0);
    this.usedEnd = new Array<number>(this.n).fill(0);
    this.hasRecords = new Uint8Array(this.n);
  }

  /** Scan and recover; a blank or foreign partition is formatted. Throws only on a flash error. */
  static mount(flash: Flash, opts: MountOptions = {}): RecordStore {
    const store = new RecordStore(flash, opts.log ?? silentLogger);
    try {
      store.scan();
    } catch (e) {
      throw e instanceof FlashFault ? e.original : e;
    }
    return store;
  }

  get(key: number): Uint8Array | undefined {
    const loc = this.index.get(key);
    if (loc === undefined) return undefined;
    const len = loc % LOC;
    return this.flash.read((loc - len) / LOC, len);
  }

  has(key: number): boolean {
    return this.index.has(key);
  }

  /** Keys present, ascending. */
  keys(): number[] {
    return Array.from(this.index.keys()).sort((a, b) => a - b);
  }

  usage(): StoreUsage {
    let liveBytes = 0;
    for (const loc of this.index.values()) liveBytes += ENTRY_HEADER_SIZE + (loc % LOC);
    let free = 0;
    for (let s = 0; s < this.n; s++) if (this.state[s] !== LOG) free++;
    return {
      keys: this.index.size,
      liveBytes,
      sectors: this.n,
      freeSectors: free,
      headRoom: Math.max(0, this.sectorEnd(this.head) - this.cursor - RECORD_OVERHEAD),
    };
  }

  /**
   * Atomic: all changes become visible together, or (power cut / full) none.
   * value null deletes. For a key given twice the last change wins.
   */
  commit(changes: ReadonlyArray<Change>): CommitResult {
    const pending = new Map<number, Uint8Array | null>();
    for (const c of changes) {
      if (!c || typeof c.key !== 'number' || !Number.isInteger(c.key) || c.key < 0 || c.key > 0xffffffff) {
        return this.reject('invalid', 'key must be a uint32');
      }
      if (c.value !== null && !(c.value instanceof Uint8Array)) return this.reject('invalid', 'value must be a Uint8Array or null');
      if (c.value && c.value.length > MAX_VALUE_LENGTH)
        return this.reject('too-large', `value of key ${c.key} exceeds ${MAX_VALUE_LENGTH} bytes`);
      pending.delete(c.key);
      pending.set(c.key, c.value);
    }
    let committed = false;
    try {
      if (this.needsRescan) {
        this.scan();
        this.needsRescan = false;
      }
      const entries = this.changeSet(pending);
      if (entries.length === 0) {
        this.stats.commits++;
        return OK;
      }
      const size = recordSize(entries);
      if (size > this.cap) {
        return this.reject('too-large', `transaction of ${size} bytes exceeds ${this.cap} bytes (one sector)`);
      }
      // A sector carries at most cap - RECORD_OVERHEAD bytes of entries and one sector stays free.
      if (this.liveBytesAfter(entries) > (this.n - 1) * (this.cap - RECORD_OVERHEAD)) {
        this.stats.full++;
        return this.reject('full', 'live data would exceed the partition');
      }
      const placed = this.append(entries, () => {
        committed = true;
      });
      if (!placed) {
        this.stats.full++;
        return this.reject('full', 'no sector can take the transaction after compaction');
      }
      this.stats.commits++;
      return OK;
    } catch (e) {
      if (!(e instanceof FlashFault)) throw e;
      // RAM may no longer match flash: scan again before the next commit.
      this.needsRescan = true;
      if (committed) {
        this.stats.commits++;
        return OK; // the commit mark is on flash; only the clean-up after it failed
      }
      this.log.error('store: flash error during commit');
      return this.reject('flash', describe(e.original));
    }
  }

  // ---- scanning and recovery ---------------------------------------------

  private scan(): void {
    const { n, bs } = this;
    this.index.clear();
    this.stats.tornRecords = 0;
    this.stats.garbageBytes = 0;
    const logSectors: number[] = [];
    const otherVersions: number[] = [];
    for (let s = 0; s < n; s++) {
      const h = parseSectorHeader(this.read(s * bs, SECTOR_HEADER_SIZE));
      this.hasRecords[s] = 0;
      if (h && h.version === FORMAT_VERSION) {
        this.state[s] = LOG;
        this.sectorSeq[s] = h.seq;
        logSectors.push(s);
      } else {
        if (h) otherVersions.push(h.version);
        this.state[s] = this.isBlank(s) ? BLANK : DIRTY;
      }
    }
    if (logSectors.length === 0) {
      this.format(otherVersions);
      return;
    }
    logSectors.sort((a, b) => this.sectorSeq[a] - this.sectorSeq[b]);
    let lastSeq = -1;
    let maxSeq = 0;
    for (const s of logSectors) {
      const base = s * bs;
      const buf = this.read(base, bs);
      let used = bs;
      while (used > SECTOR_HEADER_SIZE && buf[used - 1] === 0xff) used--;
      let end = used;
      let off = SECTOR_HEADER_SIZE;
      while (off < used) {
        const h = parseRecordHeader(buf, off, bs);
        if (!h) {
          // Torn header or garbage: step to the next aligned offset.
          this.stats.garbageBytes += ALIGN;
          off += ALIGN;
          continue;
        }
        const recEnd = off + h.size;
        if (recEnd > end) end = recEnd; // never append inside a record's declared extent
        if (h.seq > maxSeq) maxSeq = h.seq;
        if (!recordCommitted(buf, off, h) || h.seq <= lastSeq) {
          this.stats.tornRecords++;
        } else {
          const ok = forEachEntry(buf, off, h, (key, vo, len) => {
            if (len < 0) this.index.delete(key);
            else this.index.set(key, (base + vo) * LOC + len);
          });
          if (ok) {
            lastSeq = h.seq;
            this.hasRecords[s] = 1;
          } else {
            this.stats.tornRecords++;
          }
        }
        off = align(recEnd);
      }
      this.usedEnd[s] = base + Math.min(bs, align(end));
      if (this.sectorSeq[s] >= this.nextSectorSeq) this.nextSectorSeq = this.sectorSeq[s] + 1;
    }
    this.nextSeq = Math.max(lastSeq, maxSeq) + 1;
    this.head = logSectors[logSectors.length - 1];
    this.cursor = this.usedEnd[this.head];
    if (otherVersions.length) this.log.warn('store: ignoring sectors of another format version');
    if (this.stats.tornRecords) this.log.warn(`store: ignored ${this.stats.tornRecords} torn or damaged record(s)`);
    if (logSectors.length === n) this.finishCompaction(logSectors);
  }

  /** Every sector is in the log: a compaction was cut short. Undo or finish it. */
  private finishCompaction(logSectors: number[]): void {
    const newest = logSectors[logSectors.length - 1];
    const oldest = logSectors[0];
    if (!this.hasRecords[newest]) {
      // The new sector got nothing committed: the oldest is still whole.
      this.log.info('store: undoing an interrupted compaction');
      this.retire(newest);
      this.head = logSectors[logSectors.length - 2];
      this.cursor = this.usedEnd[this.head];
      return;
    }
    this.log.info('store: finishing an interrupted compaction');
    const moved = this.liveIn(oldest);
    if (moved.length) {
      if (this.cursor + recordSize(moved) > this.sectorEnd(this.head)) {
        this.log.error('store: cannot finish compaction; no free sector until data is deleted');
        return;
      }
      this.writeRecord(moved);
    }
    this.stats.compactions++;
    this.retire(oldest);
  }

  private format(otherVersions: number[]): void {
    if (otherVersions.length) {
      this.log.warn(`store: format version ${otherVersions[0]} is not supported (this firmware: ${FORMAT_VERSION}); formatting`);
    } else {
      this.log.info('store: no store on the partition; formatting');
    }
    for (let s = 0; s < this.n; s++) {
      if (this.state[s] !== BLANK) this.erase(s);
    }
    this.stats.formats++;
    this.nextSeq = 1;
    this.openSector(0);
  }

  // ---- appending and compaction ------------------------------------------

  /** Write the transaction, compacting as needed. False: it does not fit. */
  private append(entries: Entry[], onCommitted: () => void): boolean {
    const size = recordSize(entries);
    for (let round = 0; round <= this.n; round++) {
      if (this.cursor + size <= this.sectorEnd(this.head)) {
        this.writeRecord(entries);
        onCommitted();
        return true;
      }
      const next = this.nextFree();
      if (next < 0) return false; // no free sector: only a damaged partition gets here
      if (this.freeCount() >= 2) {
        this.openSector(next);
        continue;
      }
      const oldest = this.oldestLog();
      this.openSector(next);
      const moved = this.liveIn(oldest);
      const changed = new Set(entries.map((e) => e.key));
      const merged = moved.filter((e) => !changed.has(e.key)).concat(entries);
      this.stats.compactions++;
      if (recordSize(merged) <= this.cap) {
        this.writeRecord(merged); // commit mark of the transaction and of the compaction
        onCommitted();
        this.retire(oldest);
        return true;
      }
      if (moved.length) this.writeRecord(moved);
      this.retire(oldest);
    }
    return false;
  }

  private writeRecord(entries: Entry[]): void {
    const img = encodeRecord(this.nextSeq, entries);
    const at = this.cursor;
    // Move on first: after a failed write nothing may be appended inside it.
    this.cursor = at + align(img.length);
    this.usedEnd[this.head] = this.cursor;
    this.nextSeq++;
    this.write(at, img);
    this.hasRecords[this.head] = 1;
    let o = at + RECORD_HEADER_SIZE;
    for (const e of entries) {
      o += ENTRY_HEADER_SIZE;
      if (e.value) {
        this.index.set(e.key, o * LOC + e.value.length);
        o += e.value.length;
      } else {
        this.index.delete(e.key);
      }
    }
  }

  private openSector(s: number): void {
    if (this.state[s] !== BLANK) this.erase(s);
    const seq = this.nextSectorSeq++;
    this.write(s * this.bs, encodeSectorHeader(seq));
    this.state[s] = LOG;
    this.sectorSeq[s] = seq;
    this.hasRecords[s] = 0;
    this.usedEnd[s] = s * this.bs + SECTOR_HEADER_SIZE;
    this.head = s;
    this.cursor = this.usedEnd[s];
  }

  /** Take a sector out of the log: zero its magic first, so a cut erase never leaves a valid header. */
  private retire(s: number): void {
    this.state[s] = DIRTY;
    this.write(s * this.bs, new Uint8Array(4));
    this.erase(s);
  }

  /** Current entries whose value lives in sector s. */
  private liveIn(s: number): Entry[] {
    const lo = s * this.bs;
    const hi = lo + this.bs;
    let buf: Uint8Array | undefined;
    const out: Entry[] = [];
    for (const [key, loc] of this.index) {
      const len = loc % LOC;
      const off = (loc - len) / LOC;
      if (off < lo || off >= hi) continue;
      buf ??= this.read(lo, this.bs);
      out.push({ key, value: buf.slice(off - lo, off - lo + len) });
    }
    return out;
  }

  private nextFree(): number {
    for (let i = 1; i <= this.n; i++) {
      const s = (this.head + i) % this.n;
      if (this.state[s] !== LOG) return s;
    }
    return -1;
  }

  private freeCount(): number {
    let c = 0;
    for (let s = 0; s < this.n; s++) if (this.state[s] !== LOG) c++;
    return c;
  }

  private oldestLog(): number {
    let best = -1;
    for (let s = 0; s < this.n; s++) {
      if (this.state[s] === LOG && (best < 0 || this.sectorSeq[s] < this.sectorSeq[best])) best = s;
    }
    return best;
  }

  private sectorEnd(s: number): number {
    return (s + 1) * this.bs;
  }

  private liveBytesAfter(entries: Entry[]): number {
    const changed = new Set(entries.map((e) => e.key));
    let total = 0;
    for (const [key, loc] of this.index) {
      if (!changed.has(key)) total += ENTRY_HEADER_SIZE + (loc % LOC);
    }
    for (const e of entries) if (e.value) total += entrySize(e);
    return total;
  }

  /**
   * What of a transaction would change the store: values that differ from the
   * current ones, deletions of present keys. The one place "unchanged?" is
   * decided, for every caller (the configuration, its attributes, the other
   * records): an unchanged value costs no flash write and no erase.
   */
  private changeSet(pending: ReadonlyMap<number, Uint8Array | null>): Entry[] {
    const entries: Entry[] = [];
    for (const [key, value] of pending) {
      const loc = this.index.get(key);
      if (value === null) {
        if (loc !== undefined) entries.push({ key, value: null });
      } else if (loc === undefined || !this.sameValue(loc, value)) {
        entries.push({ key, value });
      }
    }
    return entries;
  }

  private sameValue(loc: number, value: Uint8Array): boolean {
    const len = loc % LOC;
    if (len !== value.length) return false;
    const cur = this.read((loc - len) / LOC, len);
    return bytesEqual(cur, value);
  }

  private isBlank(s: number): boolean {
    const buf = this.read(s * this.bs, this.bs);
    for (let i = 0; i < buf.length; i++) if (buf[i] !== 0xff) return false;
    return true;
  }

  private reject(error: CommitError, detail: string): CommitResult {
    this.stats.rejected++;
    return { ok: false, error, detail };
  }

  // ---- flash access: every failure becomes a FlashFault --------------------

  private read(offset: number, length: number): Uint8Array {
    try {
      return this.flash.read(offset, length);
    } catch (e) {
      throw new FlashFault(e);
    }
  }

  private write(offset: number, data: Uint8Array): void {
    this.stats.bytesWritten += data.length;
    try {
      this.flash.write(offset, data);
    } catch (e) {
      throw new FlashFault(e);
    }
  }

  private erase(s: number): void {
    this.stats.erases++;
    try {
      this.flash.erase(s);
    } catch (e) {
      throw new FlashFault(e);
    }
    this.state[s] = BLANK;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

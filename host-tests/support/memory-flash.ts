// Flash doubles for tests: MemoryFlash (RAM, NOR semantics) and FaultFlash,
// which cuts the power at a chosen byte of a write or during a chosen erase.
// A "reboot" is a new FaultFlash over the same MemoryFlash image.

import type { Flash } from '../../firmware/platform/ports';

export class PowerCut extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PowerCut';
  }
}

function checkRange(f: Flash, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > f.byteLength) {
    throw new RangeError(`flash access out of range: ${offset}+${length}`);
  }
}

/** NOR flash in RAM: erase sets a sector to 0xFF, a write ANDs. Counters are cumulative. */
export class MemoryFlash implements Flash {
  readonly image: Uint8Array;
  readonly blockSize: number;
  readonly byteLength: number;
  /** Erases per sector since creation (over every FaultFlash that wrapped it). */
  readonly eraseCounts: number[];
  bytesWritten = 0;
  writes = 0;

  constructor(opts: { byteLength?: number; blockSize?: number; image?: Uint8Array } = {}) {
    this.blockSize = opts.blockSize ?? 4096;
    this.image = opts.image ?? new Uint8Array(opts.byteLength ?? 16384).fill(0xff);
    this.byteLength = this.image.length;
    if (this.byteLength % this.blockSize !== 0) throw new RangeError('size must be a multiple of the block size');
    this.eraseCounts = new Array<number>(this.byteLength / this.blockSize).fill(0);
  }

  /** A new MemoryFlash over a copy of this image (counters start at zero). */
  clone(): MemoryFlash {
    return new MemoryFlash({ blockSize: this.blockSize, image: this.image.slice() });
  }

  erase(sector: number): void {
    this.checkSector(sector);
    this.image.fill(0xff, sector * this.blockSize, (sector + 1) * this.blockSize);
    this.eraseCounts[sector]++;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.image.slice(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this, offset, data.length);
    for (let i = 0; i < data.length; i++) this.image[offset + i] &= data[i];
    this.bytesWritten += data.length;
    this.writes++;
  }

  checkSector(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.eraseCounts.length) {
      throw new RangeError(`no sector ${sector}`);
    }
  }
}

export interface FaultPlan {
  /** Power fails while byte number n (0-based, over this instance's writes) is programmed; earlier bytes are written. */
  cutAtByte?: number;
  /** The byte being programmed at the cut keeps a random subset of its bits cleared (ANDed with noise). */
  garble?: boolean;
  /** Power fails during erase number n (0-based, over this instance's erases). */
  cutAtErase?: number;
  /**
   * What the cut erase leaves: 'partial' — a random prefix or suffix of the
   * sector erased, the rest as it was; 'garbage' — random bytes all over.
   */
  eraseDamage?: 'partial' | 'garbage';
  /** Seed for the noise (deterministic tests). */
  seed?: number;
}

/** Wraps a MemoryFlash; after the planned cut every operation throws PowerCut. */
export class FaultFlash implements Flash {
  readonly blockSize: number;
  readonly byteLength: number;
  /** Erases per sector by this instance. */
  readonly eraseCounts: number[];
  bytesWritten = 0;
  erases = 0;
  /** True once the power is off. */
  cut = false;
  private rnd: () => number;

  constructor(
    readonly mem: MemoryFlash,
    private readonly plan: FaultPlan = {},
  ) {
    this.blockSize = mem.blockSize;
    this.byteLength = mem.byteLength;
    this.eraseCounts = new Array<number>(mem.eraseCounts.length).fill(0);
    this.rnd = mulberry32(plan.seed ?? 1);
  }

  erase(sector: number): void {
    this.alive();
    this.mem.checkSector(sector);
    if (this.plan.cutAtErase === this.erases) {
      const bs = this.blockSize;
      const base = sector * bs;
      const img = this.mem.image;
      if (this.plan.eraseDamage === 'garbage') {
        for (let i = 0; i < bs; i++) img[base + i] = (this.rnd() * 256) | 0;
      } else {
        const k = Math.floor(this.rnd() * bs);
        if (this.rnd() < 0.5) img.fill(0xff, base, base + k);
        else img.fill(0xff, base + k, base + bs);
      }
      this.powerOff(`power cut during erase of sector ${sector}`);
    }
    this.mem.erase(sector);
    this.erases++;
    this.eraseCounts[sector]++;
  }

  read(offset: number, length: number): Uint8Array {
    this.alive();
    return this.mem.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.alive();
    checkRange(this, offset, data.length);
    const at = this.plan.cutAtByte;
    if (at !== undefined && at >= this.bytesWritten && at < this.bytesWritten + data.length) {
      const k = at - this.bytesWritten;
      this.mem.write(offset, data.subarray(0, k));
      if (this.plan.garble) this.mem.image[offset + k] &= (this.rnd() * 256) | 0;
      this.bytesWritten += k;
      this.powerOff(`power cut at byte ${at} of writes (offset ${offset + k})`);
    }
    this.mem.write(offset, data);
    this.bytesWritten += data.length;
  }

  private alive(): void {
    if (this.cut) throw new PowerCut('power is off');
  }

  private powerOff(message: string): never {
    this.cut = true;
    throw new PowerCut(message);
  }
}

/** Small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

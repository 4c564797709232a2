// Flash port: the `Flash` interface of ../ports over the Moddable `flash`
// module opened on a named data partition (partitions.csv: `lwm2m`).
// A thin pass-through: NOR semantics, atomicity and wear levelling are the
// store's job (firmware/store). Out-of-range arguments throw RangeError before
// reaching the host, which on some SDK versions would write elsewhere.
import HostFlash from 'flash';
import type { Flash } from '../ports';
import { exactBuffer } from './udp-transport';

export const DEFAULT_PARTITION = 'lwm2m';

interface HostFlashLike {
  erase(sector: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
  readonly byteLength: number;
  readonly blockSize: number;
}

export class ModdableFlash implements Flash {
  readonly blockSize: number;
  readonly byteLength: number;
  private readonly host: HostFlashLike;

  /** Throws when the partition is missing from the partition table (wrong PARTITIONS_FILE). */
  constructor(partition: string = DEFAULT_PARTITION) {
    this.host = new HostFlash(partition) as unknown as HostFlashLike;
    this.blockSize = this.host.blockSize;
    this.byteLength = this.host.byteLength;
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || (sector + 1) * this.blockSize > this.byteLength) {
      throw new RangeError(`flash: sector ${sector} out of range`);
    }
    this.host.erase(sector);
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(this.host.read(offset, length));
  }

  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.byteLength);
    if (data.byteLength === 0) return;
    this.host.write(offset, data.byteLength, exactBuffer(data));
  }

  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength) {
      throw new RangeError(`flash: range ${offset}+${length} outside partition of ${this.byteLength}`);
    }
  }
}

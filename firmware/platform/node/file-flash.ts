// Flash port for Node: a file stands in for the data partition, with the NOR
// rules of the real part (erase → 0xFF, a write only clears bits), so the
// store behaves on the host exactly as on the device.

import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { Flash } from '../ports';

export interface FileFlashOptions {
  /** Partition size for a new file (default 16 KB). An existing file keeps its size. */
  byteLength?: number;
  /** Sector size (default 4096, as on ESP32). */
  blockSize?: number;
  /** fsync after each write and erase (default false). */
  sync?: boolean;
}

export class FileFlash implements Flash {
  readonly blockSize: number;
  readonly byteLength: number;
  private fd: number;
  private readonly sync: boolean;

  constructor(
    readonly path: string,
    opts: FileFlashOptions = {},
  ) {
    this.blockSize = opts.blockSize ?? 4096;
    this.sync = opts.sync ?? false;
    if (existsSync(path)) {
      this.fd = openSync(path, 'r+');
      this.byteLength = fstatSync(this.fd).size;
    } else {
      this.byteLength = opts.byteLength ?? 16384;
      this.fd = openSync(path, 'w+');
      writeSync(this.fd, new Uint8Array(this.byteLength).fill(0xff), 0, this.byteLength, 0);
    }
    if (this.byteLength === 0 || this.byteLength % this.blockSize !== 0) {
      closeSync(this.fd);
      throw new RangeError(`${path}: size ${this.byteLength} is not a multiple of the block size ${this.blockSize}`);
    }
  }

  erase(sector: number): void {
    const count = this.byteLength / this.blockSize;
    if (!Number.isInteger(sector) || sector < 0 || sector >= count) throw new RangeError(`no sector ${sector}`);
    writeSync(this.fd, new Uint8Array(this.blockSize).fill(0xff), 0, this.blockSize, sector * this.blockSize);
    if (this.sync) fsyncSync(this.fd);
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n <= 0) throw new Error(`${this.path}: short read at ${offset + done}`);
      done += n;
    }
    return out;
  }

  /** NOR: the new bytes are ANDed into what is there. */
  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    const cur = this.read(offset, data.length);
    for (let i = 0; i < cur.length; i++) cur[i] &= data[i];
    writeSync(this.fd, cur, 0, cur.length, offset);
    if (this.sync) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private check(offset: number, length: number): void {
    if (this.fd < 0) throw new Error(`${this.path}: flash is closed`);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.byteLength) {
      throw new RangeError(`flash access out of range: ${offset}+${length}`);
    }
  }
}

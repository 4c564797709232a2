// The SDK's `flash` module for the Moddable Linux runtime, which has none:
// a data partition emulated in a file with NOR semantics, so the firmware's
// store (firmware/store) meets on lin what it meets on an ESP32:
//  - erase(sector) sets one 4096-byte sector to 0xFF;
//  - write() can only clear bits (new = old AND data), as NOR programming does;
//  - the file keeps its content across restarts (the File module flushes each
//    write), so a restarted firmware finds its store.
// The partition sizes come from the lin board fragment (boards/lin), which
// copies the ESP32 partition table's; the file path from `flashDirectory`.
import config from 'mc/config';
import { File } from 'file';

const SECTOR_BYTES = 4096;

interface LinFlashConfig {
  flashDirectory?: string;
  flashPartitions?: Readonly<Record<string, number>>;
}

export default class Flash {
  readonly blockSize = SECTOR_BYTES;
  readonly byteLength: number;
  private readonly file: File;

  constructor(partition: string) {
    const c = config as unknown as LinFlashConfig;
    const size = c.flashPartitions?.[partition];
    if (typeof size !== 'number' || size <= 0 || size % SECTOR_BYTES !== 0) {
      throw new Error(`partition "${partition}" not found`);
    }
    this.byteLength = size;
    const path = `${c.flashDirectory ?? '/tmp/'}xs-lwm2m-${partition}.nor`;
    this.file = new File(path, true);
    if (this.file.length < size) {
      // A new chip reads erased: grow the file with 0xFF up to the partition size.
      const erased = new Uint8Array(size - this.file.length).fill(0xff);
      this.file.position = this.file.length;
      this.file.write(erased.buffer);
    }
  }

  erase(sector: number): void {
    const at = sector * SECTOR_BYTES;
    if (!Number.isInteger(sector) || sector < 0 || at + SECTOR_BYTES > this.byteLength) {
      throw new RangeError('invalid sector');
    }
    this.file.position = at;
    this.file.write(new Uint8Array(SECTOR_BYTES).fill(0xff).buffer);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    this.check(offset, byteLength);
    if (byteLength === 0) return new ArrayBuffer(0);
    this.file.position = offset;
    return this.file.read(ArrayBuffer, byteLength);
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer): void {
    this.check(offset, byteLength);
    if (byteLength === 0) return;
    const data = new Uint8Array(buffer, 0, byteLength);
    const cell = new Uint8Array(this.read(offset, byteLength));
    for (let i = 0; i < byteLength; i++) cell[i] = cell[i]! & data[i]!;
    this.file.position = offset;
    this.file.write(cell.buffer);
  }

  private check(offset: number, byteLength: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(byteLength) || offset < 0 || byteLength < 0
      || offset + byteLength > this.byteLength) {
      throw new RangeError('invalid range');
    }
  }
}

// The SDK's `flash` module for the Moddable Linux runtime, which has none:
// a data partition emulated in a file with NOR semantics, so the firmware's
// store (firmware/store) meets on lin what it meets on an ESP32:
//  - erase(sector) sets one 4096-byte sector to 0xFF;
//  - write() can only clear bits (new = old AND data), as NOR programming does;
//  - the file keeps its content across restarts (the File module flushes each
//    write), so a restarted firmware finds its store.
// The partition sizes come from the lin board fragment (boards/lin), which
// copies the ESP32 partition table's; the file path from `flashDirectory`.
//
// A power cut at a chosen moment (host-tests/moddable/lin-faults): while the
// file <flashDirectory>xs-lwm2m-power-cut exists, holding a number N, the N-th
// erase or write from then on stops halfway (half the sector erased, half the
// bytes programmed, as a cut during the operation leaves NOR flash) and the
// process ends at once with EXIT_POWER_CUT. The file is removed as the power
// goes, so the next run starts normally. Only the lin board has this.
import config from 'mc/config';
import { File } from 'file';
import { exit } from 'lin-exit';

declare const trace: (line: string) => void;

const SECTOR_BYTES = 4096;
/** Exit status of a run whose power was cut (host-tests/moddable/lin-faults.test.ts). */
export const EXIT_POWER_CUT = 86;

interface LinFlashConfig {
  flashDirectory?: string;
  flashPartitions?: Readonly<Record<string, number>>;
}

export default class Flash {
  readonly blockSize = SECTOR_BYTES;
  readonly byteLength: number;
  private readonly file: File;
  private readonly cutPath: string;
  /** Operations left before the power goes; undefined while no cut is armed. */
  private cutIn: number | undefined;

  constructor(partition: string) {
    const c = config as unknown as LinFlashConfig;
    const size = c.flashPartitions?.[partition];
    if (typeof size !== 'number' || size <= 0 || size % SECTOR_BYTES !== 0) {
      throw new Error(`partition "${partition}" not found`);
    }
    this.byteLength = size;
    this.cutPath = `${c.flashDirectory ?? '/tmp/'}xs-lwm2m-power-cut`;
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
    const cut = this.powerFails();
    this.file.position = at;
    this.file.write(new Uint8Array(cut ? SECTOR_BYTES / 2 : SECTOR_BYTES).fill(0xff).buffer);
    if (cut) this.cutPower(`erasing sector ${sector}`);
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
    const cut = this.powerFails();
    const length = cut ? Math.max(1, byteLength >> 1) : byteLength;
    const data = new Uint8Array(buffer, 0, length);
    const cell = new Uint8Array(this.read(offset, length));
    for (let i = 0; i < length; i++) cell[i] = cell[i]! & data[i]!;
    this.file.position = offset;
    this.file.write(cell.buffer);
    if (cut) this.cutPower(`writing ${byteLength} bytes at ${offset}`);
  }

  /** Whether the power goes during this operation (a cut armed by the power-cut file). */
  private powerFails(): boolean {
    if (this.cutIn === undefined) {
      if (!File.exists(this.cutPath)) return false;
      const f = new File(this.cutPath);
      const n = Number(f.read(String));
      f.close();
      this.cutIn = Number.isInteger(n) && n > 0 ? n : 1;
    }
    return --this.cutIn === 0;
  }

  private cutPower(during: string): void {
    File.delete(this.cutPath);
    trace(`[lin] power cut while ${during}\n`);
    exit(EXIT_POWER_CUT);
  }

  private check(offset: number, byteLength: number): void {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(byteLength) ||
      offset < 0 ||
      byteLength < 0 ||
      offset + byteLength > this.byteLength
    ) {
      throw new RangeError('invalid range');
    }
  }
}

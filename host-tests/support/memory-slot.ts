// A FirmwareSlot over RAM with the bootloader of an ESP32 with app rollback:
// two app images and the boot record survive a "reset" (SlotFlash), the
// slot the client sees is made anew at each boot (MemorySlot over it).
// It records the largest write, so a test can bound what the client holds.
import type { FirmwareSlot } from '../../firmware/platform/ports';
import { hostImageFormat } from '../../firmware/lwm2m/firmware-update/image';

/** What the flash holds across resets. */
export class SlotFlash {
  /** The running image (null: the factory image). */
  current: Uint8Array | null = null;
  previous: Uint8Array | null = null;
  /** The image written into the other partition. */
  next: Uint8Array | null = null;
  /** otadata: boot `next` at the next reset. */
  bootNext = false;
  /** The current image booted once and was not confirmed yet. */
  onTrial = false;
  largestWrite = 0;
  bytesWritten = 0;
  activations = 0;

  constructor(readonly factoryVersion: string) {}

  /** The version inside an image (the factory one for none). */
  versionOf(image: Uint8Array | null): string {
    if (!image) return this.factoryVersion;
    const r = hostImageFormat.inspect(image.subarray(0, hostImageFormat.headerLength));
    return r.ok ? r.info.version : '?';
  }

  get runningVersion(): string {
    return this.versionOf(this.current);
  }

  /** A reset: the bootloader picks the image, rolling back an unconfirmed trial; returns how this boot came about. */
  reset(): FirmwareSlot['boot'] {
    if (this.bootNext) {
      this.bootNext = false;
      this.previous = this.current;
      this.current = this.next;
      this.onTrial = true;
      return 'trial';
    }
    if (this.onTrial) {
      // A trial image that reset before confirming itself: back to the previous one (ESP-IDF app rollback).
      this.onTrial = false;
      this.current = this.previous;
      return 'rolled-back';
    }
    return 'normal';
  }
}

export class MemorySlot implements FirmwareSlot {
  private parts: Uint8Array[] | null = null;
  failActivate: string | undefined;

  constructor(
    private readonly flash: SlotFlash,
    readonly capacity: number,
    readonly boot: FirmwareSlot['boot'],
    private readonly restart: () => void,
  ) {}

  open(): string | undefined {
    this.parts = [];
    this.flash.next = null;
    return undefined;
  }

  write(data: Uint8Array): string | undefined {
    if (!this.parts) return 'not open';
    this.flash.largestWrite = Math.max(this.flash.largestWrite, data.length);
    this.flash.bytesWritten += data.length;
    this.parts.push(data.slice());
    return undefined;
  }

  abort(): void {
    this.parts = null;
    this.flash.next = null;
  }

  close(): string | undefined {
    if (!this.parts) return 'not open';
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const img = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      img.set(p, o);
      o += p.length;
    }
    this.flash.next = img;
    this.parts = null;
    return undefined;
  }

  activate(): string | undefined {
    if (this.failActivate) return this.failActivate;
    if (!this.flash.next) return 'no image';
    this.flash.bootNext = true;
    this.flash.activations++;
    this.restart();
    return undefined;
  }

  confirm(): void {
    this.flash.onTrial = false;
  }
}

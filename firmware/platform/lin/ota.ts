// The SDK's ESP32 `ota` module (build/devices/esp32/modules/ota) for the
// Moddable Linux runtime: the same four calls over the partition files of
// lin/ota-boot. new OTA() starts the next update partition afresh (refused
// while the running image is on trial, as esp_ota_begin); complete() is
// esp_ota_end (the image must be whole) and esp_ota_set_boot_partition.
import { File } from 'file';
import { imagePath, mayBegin, nextSlot, setBoot } from './ota-boot';

export default class OTA {
  private file: File | undefined;
  private readonly slot: 0 | 1;
  private written = 0;

  constructor() {
    if (!mayBegin()) throw new Error('begin failed');
    this.slot = nextSlot();
    const path = imagePath(this.slot);
    if (File.exists(path)) File.delete(path); // the partition is erased as it is written
    this.file = new File(path, true);
  }

  write(data: ArrayBuffer | ArrayBufferView): void {
    if (this.file === undefined) throw new Error('write failed');
    // The SDK's File takes whole ArrayBuffers only.
    const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    const own = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? (view.buffer as ArrayBuffer) : view.slice().buffer;
    this.file.position = this.written;
    this.file.write(own);
    this.written += view.byteLength;
  }

  cancel(): void {
    this.file?.close();
    this.file = undefined;
  }

  complete(): void {
    if (this.file === undefined) throw new Error('bad state');
    this.file.close();
    this.file = undefined;
    if (this.written === 0) throw new Error('end failed');
    setBoot(this.slot, this.written);
  }
}

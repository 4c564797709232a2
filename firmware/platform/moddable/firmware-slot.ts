// The firmware-image port (ports.ts FirmwareSlot) on the Moddable SDK: the
// image streams into the other app partition through the SDK's `ota` module
// (esp_ota_begin / write / end + set_boot_partition), and our `ota-boot`
// module tells how this boot came about and does what `ota` lacks: confirm
// the running image (esp_ota_mark_app_valid_cancel_rollback), restart, the
// size of the partition an update goes to, the running image's header.
// On the ESP32 both are the real thing (ota-boot is esp32/ota-boot.c); on the
// Linux runtime both are shims over files that keep ESP-IDF's otadata rules
// (firmware/platform/lin), so this file runs unchanged on either.
//
// With ESP-IDF app rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE), a newly
// booted image is PENDING_VERIFY until confirmed; reset before that and the
// bootloader marks it ABORTED and boots the previous one. So:
//   running PENDING_VERIFY                        → boot 'trial'
//   an ABORTED/INVALID partition is left over     → boot 'rolled-back'
//   otherwise                                     → 'normal'
// ('rolled-back' stays until the next update is activated, as the aborted
// partition stays marked; the core only reads it when an Update was pending.)
//
// esp_ota_end() checks the image and set_boot_partition() switches in one
// call of the SDK's module (complete()), so ESP-IDF's own check runs at
// activate(), not at close(): an image it refuses fails Update (Result 8)
// and the running image stays. The core has already checked the header, the
// size and the SHA-256 trailer (the same digest ESP-IDF appends) by then.
import OTA from 'ota';
import * as OtaBoot from 'ota-boot';
import type { FirmwareSlot, Logger, Timers } from '../ports';
import type { HashStream, ImageFormat } from '../../lwm2m/firmware-update/image';
import { errorText } from './udp-transport';

/** esp_ota_img_states_t (ESP-IDF esp_flash_partitions.h); -1: the running partition has none (factory). */
export const OTA_STATE = Object.freeze({ NEW: 0, PENDING_VERIFY: 1, VALID: 2, INVALID: 3, ABORTED: 4, NONE: -1 } as const);

/**
 * Time between activate() and the reset: the Update's 2.04 is handed to the
 * network stack just before, and a reset at once could lose it in lwIP's queue.
 */
export const RESTART_DELAY_MS = 500;

export class OtaSlot implements FirmwareSlot {
  readonly capacity: number;
  readonly boot: 'normal' | 'trial' | 'rolled-back';
  private writer: OTA | undefined;
  private closed = false;

  constructor(
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {
    const state = OtaBoot.runningState();
    this.boot = state === OTA_STATE.PENDING_VERIFY ? 'trial' : OtaBoot.rolledBack() ? 'rolled-back' : 'normal';
    this.capacity = OtaBoot.capacity();
  }

  open(): string | undefined {
    // esp_ota_begin refuses too (ESP_ERR_OTA_ROLLBACK_INVALID_STATE): the partition it would write is where a rollback goes.
    if (OtaBoot.runningState() === OTA_STATE.PENDING_VERIFY)
      return 'the running image is on trial (not confirmed yet); an update cannot start before it is';
    this.abort();
    try {
      this.writer = new OTA();
    } catch (e) {
      return `cannot start writing the update partition: ${errorText(e)}`;
    }
    return undefined;
  }

  write(data: Uint8Array): string | undefined {
    if (this.writer === undefined || this.closed) return 'no image is open';
    try {
      this.writer.write(data);
    } catch (e) {
      return `cannot write the update partition: ${errorText(e)}`;
    }
    return undefined;
  }

  abort(): void {
    if (this.writer !== undefined) {
      try {
        this.writer.cancel();
      } catch {
        /* nothing left to end */
      }
    }
    this.writer = undefined;
    this.closed = false;
  }

  close(): string | undefined {
    if (this.writer === undefined || this.closed) return 'no image is open';
    // Kept open: the SDK's complete() both ends (checks) and switches, which only Update may do.
    this.closed = true;
    return undefined;
  }

  activate(): string | undefined {
    if (this.writer === undefined || !this.closed) return 'no complete image to activate';
    const w = this.writer;
    this.writer = undefined;
    this.closed = false;
    try {
      w.complete();
    } catch (e) {
      try {
        w.cancel();
      } catch {
        /* already ended */
      }
      return `the platform refused the image: ${errorText(e)}`;
    }
    this.log.info(`firmware: restarting into the new image in ${RESTART_DELAY_MS} ms`);
    this.timers.setTimeout(() => OtaBoot.restart(), RESTART_DELAY_MS);
    return undefined;
  }

  confirm(): void {
    if (OtaBoot.runningState() !== OTA_STATE.PENDING_VERIFY) return;
    if (!OtaBoot.markValid())
      this.log.error('firmware: the running image could not be confirmed; it will be rolled back at the next reset');
  }
}

/** What the firmware hands the client for Firmware Update (/5), and the version (/3/0/3) of what runs. */
export interface DeviceFirmware {
  slot: FirmwareSlot;
  format: ImageFormat;
  sha256: () => HashStream;
  /** The running image's version from its header; undefined when it has none (lin: the factory firmware). */
  version: string | undefined;
}

/**
 * The device's firmware-image port for images of `format` (the board's:
 * main.ts), or why there is none: no update partition (a partition table
 * without ota_0/ota_1), the OTA state unreadable.
 */
export function openDeviceFirmware(format: ImageFormat, sha256: () => HashStream, timers: Timers, log: Logger): DeviceFirmware | string {
  let slot: OtaSlot;
  try {
    slot = new OtaSlot(timers, log);
  } catch (e) {
    return `the OTA state cannot be read: ${errorText(e)}`;
  }
  if (slot.capacity <= 0) return 'no OTA update partition in the partition table (ota_0, ota_1, otadata)';
  const head = OtaBoot.readRunning(format.headerLength);
  let version: string | undefined;
  if (head !== undefined) {
    const info = format.inspect(new Uint8Array(head));
    if (info.ok) version = info.info.version;
    else log.error(`firmware: the running image's header is not understood (${info.reason}); reporting the build's firmwareVersion`);
  }
  return { slot, format, sha256, version };
}

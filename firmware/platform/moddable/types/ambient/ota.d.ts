// The modules the firmware-image port (firmware-slot.ts) imports by bare name,
// which npm @moddable/typings does not declare: for `npm run typecheck:device`,
// and for tsc in an SDK build, where manifest.json maps `ota` to this file (the
// SDK ships no typing of its ESP32 `ota` module). The modules themselves come
// from the manifest: `ota` is the SDK's (ESP32) or the lin shim, `ota-boot`
// ours (esp32/ota-boot.c) or the lin shim, `lin-exit` the lin runtime's reset.
declare module 'ota' {
  /** The SDK's ESP32 OTA writer: esp_ota_begin on the next update partition. */
  export default class OTA {
    constructor();
    write(data: ArrayBuffer | ArrayBufferView): void;
    /** esp_ota_end without switching: what was written is abandoned. */
    cancel(): void;
    /** esp_ota_end (ESP-IDF checks the image) then esp_ota_set_boot_partition. */
    complete(): void;
  }
}

declare module 'ota-boot' {
  export function runningState(): number;
  export function markValid(): boolean;
  export function rolledBack(): boolean;
  export function capacity(): number;
  export function readRunning(length: number): ArrayBuffer | undefined;
  export function restart(): void;
}

declare module 'lin-exit' {
  export function exit(status: number): void;
}

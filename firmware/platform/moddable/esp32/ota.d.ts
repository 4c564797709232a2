// The SDK's ESP32 `ota` module (build/devices/esp32/modules/ota), which ships
// no typing: tsc reads this one in a board build (esp32/manifest.json maps `ota`
// here) and in `npm run typecheck:device` (tsconfig.device.json paths).

/** esp_ota_begin on the next update partition (sequential writes, erased as written). */
export default class OTA {
  constructor();
  write(data: ArrayBuffer | ArrayBufferView): void;
  /** esp_ota_end without switching: what was written is abandoned. */
  cancel(): void;
  /** esp_ota_end (ESP-IDF checks the image) then esp_ota_set_boot_partition. */
  complete(): void;
}

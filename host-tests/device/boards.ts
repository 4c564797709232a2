// The ESP32 boards this firmware is built for: a folder in boards/ and the
// mcconfig platform that selects it (manifest.json platforms).
export const BOARDS = [
  { folder: 'esp32', platform: 'esp32/nodemcu' },
  { folder: 'esp32c3', platform: 'esp32/esp32c3' },
  { folder: 'esp32s3', platform: 'esp32/esp32s3' },
] as const;

// The ECMA-419 network interface `embedded:network/interface/wifi`, which SDK
// 8.2 builds into ESP32 firmware in place of the legacy `wifi` module
// (modules/io/wifi/esp32). npm @moddable/typings 5.6.0 predates it; the SDK
// carries its own typing (typings/embedded_network/interface/wifi.d.ts), and
// this plain type module restates the part the port uses so the port
// type-checks the same way with either.

export type WiFiChangedProperty = 'connection' | 'address';

export interface WiFiStation {
  close(): void;
  /** Throws when this instance is already connecting. */
  connect(options: { SSID: string; password?: string }): void;
  disconnect(): void;
  readonly connection: number;
  /** IPv4 address when it has one, else an IPv6 link-local one, else undefined. */
  readonly address: string | undefined;
  /** "aa:bb:cc:dd:ee:ff" */
  readonly MAC: string | undefined;
}

export type WiFiConstructor = new (options: { onChanged?: (this: WiFiStation, property: WiFiChangedProperty) => void }) => WiFiStation;

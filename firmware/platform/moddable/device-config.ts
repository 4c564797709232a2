// Build-time configuration of the device firmware, read from `mc/config`
// (the manifest `config` block merged with `mcconfig key=value` arguments).
// Pure: no Moddable imports, so host tests check it under Node.
// Values from the command line arrive as strings; numbers are parsed here.
import type { LogLevel } from '../ports';

export interface DeviceIdentity {
  manufacturer: string;
  modelNumber: string;
  serialNumber: string;
  firmwareVersion: string;
}

export interface DeviceSettings {
  /** LwM2M Endpoint Client Name; undefined until the MAC is known (then derived). */
  endpointName: string | undefined;
  bootstrapUri: string;
  logLevel: LogLevel;
  /** Local UDP port; 0 = ephemeral. */
  localPort: number;
  /** Data partition label holding the object store. */
  partition: string;
  /** GPIO of a plain status LED, -1 = none. */
  statusLedPin: number;
  statusLedActiveLow: boolean;
  ssid: string | undefined;
  /** Wi-Fi password: passed to the radio only, never logged (see describeSettings). */
  password: string | undefined;
  device: DeviceIdentity;
}

export const DEFAULT_BOOTSTRAP_URI = 'coap://192.168.1.10:5685';

/**
 * Bound on a CoAP block-wise body the device reassembles (EndpointOptions.maxReassemblySize;
 * the endpoint's 64 KiB default is far beyond what the device can use). The native TLV codec
 * takes 4 KiB payloads (bigger ones get 4.13 from the formats layer); 8 KiB leaves room for
 * the same data in the wordier SenML JSON / LwM2M JSON. A larger body is refused with 4.13.
 */
export const DEVICE_MAX_REASSEMBLY_SIZE = 8192;

/**
 * The CoAP endpoint's bounds on the device, sized for its 64 KiB chunk heap and 4096-slot heap
 * (the endpoint's defaults suit a laptop): 32 deduplication entries, each holding the reply
 * it would replay (measured on the Linux runtime with these limits: 128 entries of Read /3/0
 * answers exhausted the slot heap); 2 block-wise sessions of up to DEVICE_MAX_REASSEMBLY_SIZE each.
 */
export const DEVICE_COAP_BOUNDS = Object.freeze({
  maxReassemblySize: DEVICE_MAX_REASSEMBLY_SIZE,
  dedupCapacity: 32,
  maxBlockSessions: 2,
});

/** LwM2M Core §7.3.1 suggests URN forms for the endpoint name; `urn:dev:mac:` is the one a device always has. */
export function endpointFromMac(macHex: string): string {
  return `urn:dev:mac:${macHex.toLowerCase()}`;
}

export function readDeviceSettings(config: Readonly<Record<string, unknown>>, macHex: string | undefined): DeviceSettings {
  const endpoint = text(config.endpoint);
  const serial = text(config.serialNumber) ?? (macHex !== undefined ? macHex.toUpperCase() : 'unknown');
  return {
    endpointName: endpoint ?? (macHex !== undefined ? endpointFromMac(macHex) : undefined),
    bootstrapUri: text(config.bootstrap) ?? DEFAULT_BOOTSTRAP_URI,
    logLevel: parseLogLevel(config.logLevel),
    localPort: integer(config.localPort, 0, 0, 65535),
    partition: text(config.partition) ?? 'lwm2m',
    statusLedPin: integer(config.statusLedPin, -1, -1, 63),
    statusLedActiveLow: flag(config.statusLedActiveLow),
    ssid: text(config.ssid),
    password: text(config.password),
    device: {
      manufacturer: text(config.manufacturer) ?? 'xs-lwm2m',
      modelNumber: text(config.model) ?? 'esp32',
      serialNumber: serial,
      firmwareVersion: text(config.firmwareVersion) ?? '0.1.0',
    },
  };
}

/** One line for the boot log. Deliberately omits the Wi-Fi password. */
export function describeSettings(s: DeviceSettings): string {
  return `endpoint=${s.endpointName ?? '(from MAC)'} bootstrap=${s.bootstrapUri} ssid=${s.ssid ?? '(none)'}`
    + ` partition=${s.partition} port=${s.localPort === 0 ? 'ephemeral' : s.localPort} log=${s.logLevel}`
    + ` model=${s.device.modelNumber}`;
}

/** Where the bootstrap URI is not something the UDP port can reach, say why (undefined = fine). Host names go through DNS (dns.ts). */
export function checkBootstrapUri(uri: string): string | undefined {
  const m = /^coap:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#]+)(?::(\d+))?\/?$/.exec(uri);
  if (m === null) {
    return uri.startsWith('coaps://')
      ? 'coaps:// (DTLS) is not supported by this firmware; use coap://'
      : 'expected coap://<ip>[:port]';
  }
  const host = m[1] ?? '';
  if (host.startsWith('[')) return 'IPv6 literals are not supported by the lwIP UDP socket of this build; use IPv4';
  const port = m[2] === undefined ? 5683 : Number(m[2]);
  if (port < 1 || port > 65535) return `port ${port} out of range`;
  return undefined;
}

/** Parses a build-time `logLevel=` value; anything unknown falls back to `fallback`. */
export function parseLogLevel(value: unknown, fallback: LogLevel = 'info'): LogLevel {
  return value === 'error' || value === 'warn' || value === 'info' || value === 'debug' ? value : fallback;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function integer(v: unknown, fallback: number, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

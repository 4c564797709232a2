// Build-time configuration of the device firmware, read from `mc/config`
// (the manifest `config` block merged with `mcconfig key=value` arguments).
// Pure: no Moddable imports, so host tests check it under Node.
// Values from the command line arrive as strings; numbers are parsed here.
// The bootstrap PSK (pskIdentity= text, pskKey= hex) is parsed here and goes
// to the DTLS layer only: no line, message or error built here contains the
// key, and the boot line shows the identity alone.
import type { LogLevel } from '../ports';
import { parseHex } from '../../util/hex';
import { utf8Length } from '../../util/utf8';

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
  /** The image kind Firmware Update takes (firmwareImage=: esp32, esp32c3, esp32s3 or host); undefined: none. */
  firmwareImage: string | undefined;
  /** Queue Mode (queueMode=1): register with Q, radio off after `awakeSeconds`, deep sleep with the session kept. */
  queueMode: boolean;
  /** awake=<s>: the listening window after the last message; undefined: MAX_TRANSMIT_WAIT (93 s). */
  awakeSeconds: number | undefined;
  /** wakePin=<gpio> (-1: none) and wakeLevel=0|1: a GPIO that ends a deep sleep (a button). */
  wakePin: number;
  wakeLevel: number;
  /** GPIO of a plain status LED, -1 = none. */
  statusLedPin: number;
  statusLedActiveLow: boolean;
  ssid: string | undefined;
  /** Wi-Fi password: passed to the radio only, never logged (see describeSettings). */
  password: string | undefined;
  /** The PSK of a coaps:// Bootstrap-Server (pskIdentity= and pskKey=), when both are given and valid. */
  bootstrapPsk: BootstrapPsk | undefined;
  /** Why pskIdentity= / pskKey= cannot be used (never contains the key); undefined when both are fine or both absent. */
  pskProblem: string | undefined;
  device: DeviceIdentity;
}

/** Pre-Shared Key credentials (LwM2M Security Mode 0) for the factory Bootstrap-Server Account. */
export interface BootstrapPsk {
  /** PSK identity as text (/0/0/3, sent in the clear in the handshake). */
  identity: string;
  /** The key (/0/0/5): handed to the DTLS layer only, never logged. */
  key: Uint8Array;
}

/** RFC 4279 §5.3: identities up to 128 octets and keys up to 64 octets must be supported; longer ones are refused here. */
export const MAX_PSK_IDENTITY_BYTES = 128;
export const MAX_PSK_KEY_BYTES = 64;

export const DEFAULT_BOOTSTRAP_URI = 'coap://192.168.1.10:5685';
/** Default ports of the schemes (RFC 7252 §6.1, §6.2). */
export const COAP_PORT = 5683;
export const COAPS_PORT = 5684;

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
    firmwareImage: text(config.firmwareImage),
    queueMode: flag(config.queueMode),
    awakeSeconds: config.awake === undefined ? undefined : integer(config.awake, 93, 1, 86400),
    wakePin: integer(config.wakePin, -1, -1, 63),
    wakeLevel: integer(config.wakeLevel, 0, 0, 1),
    statusLedPin: integer(config.statusLedPin, -1, -1, 63),
    statusLedActiveLow: flag(config.statusLedActiveLow),
    ssid: text(config.ssid),
    password: text(config.password),
    ...readPsk(config.pskIdentity, config.pskKey),
    device: {
      manufacturer: text(config.manufacturer) ?? 'xs-lwm2m',
      modelNumber: text(config.model) ?? 'esp32',
      serialNumber: serial,
      firmwareVersion: text(config.firmwareVersion) ?? '0.1.0',
    },
  };
}

/** One line for the boot log. Deliberately omits the Wi-Fi password and the PSK (its identity is shown). */
export function describeSettings(s: DeviceSettings): string {
  return (
    `endpoint=${s.endpointName ?? '(from MAC)'} bootstrap=${s.bootstrapUri}` +
    (s.bootstrapPsk !== undefined ? ` pskIdentity=${JSON.stringify(s.bootstrapPsk.identity)}` : '') +
    ` ssid=${s.ssid ?? '(none)'}` +
    ` partition=${s.partition} port=${s.localPort === 0 ? 'ephemeral' : s.localPort} log=${s.logLevel}` +
    ` model=${s.device.modelNumber}` +
    (s.queueMode ? ` queueMode awake=${s.awakeSeconds ?? 93}s${s.wakePin >= 0 ? ` wakePin=${s.wakePin}` : ''}` : '')
  );
}

/**
 * Where the bootstrap URI is not something the UDP port can reach, say why
 * (undefined = fine). The firmware does not start the client with such a URI:
 * it could only idle. Host names go through DNS (dns.ts).
 */
export function checkBootstrapUri(uri: string): string | undefined {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1];
  if (scheme !== undefined && scheme !== 'coap' && scheme !== 'coaps')
    return `unknown scheme "${scheme}": expected coap://<host>[:port] or coaps://<host>[:port]`;
  const m = /^(coaps?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@\s[\]]+)(?::(\d+))?\/?$/.exec(uri);
  if (m === null) return 'malformed: expected coap://<host>[:port] or coaps://<host>[:port]';
  const host = m[2] ?? '';
  if (host.startsWith('[')) return 'IPv6 literals are not supported by the lwIP UDP socket of this build; use IPv4';
  const port = m[3] === undefined ? (m[1] === 'coaps' ? COAPS_PORT : COAP_PORT) : Number(m[3]);
  if (port < 1 || port > 65535) return `port ${port} out of range`;
  return undefined;
}

/** The host of a bootstrap URI that checkBootstrapUri accepted when it is a name DNS must resolve; undefined for an IPv4 literal. */
export function bootstrapHostName(uri: string): string | undefined {
  const host = /^coaps?:\/\/([^/:?#]+)/.exec(uri)?.[1];
  return host === undefined || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? undefined : host;
}

/**
 * Whether the bootstrap URI and the PSK build arguments fit together. `refuse`:
 * the client must not start (a coaps:// URI without a usable PSK: it could
 * never bootstrap, and plain CoAP is no fallback for a server that wants DTLS).
 * The message names the build arguments, never the key.
 */
export function checkBootstrapSecurity(
  s: Pick<DeviceSettings, 'bootstrapUri' | 'bootstrapPsk' | 'pskProblem'>,
): { refuse: boolean; message: string } | undefined {
  const coaps = s.bootstrapUri.startsWith('coaps://');
  if (coaps) {
    if (s.pskProblem !== undefined) return { refuse: true, message: `bootstrap=coaps://…: ${s.pskProblem}` };
    if (s.bootstrapPsk === undefined) {
      return {
        refuse: true,
        message: "bootstrap=coaps://… (DTLS) needs the Bootstrap-Server's PSK: build with pskIdentity=<text> pskKey=<hex>",
      };
    }
    return undefined;
  }
  if (s.bootstrapPsk !== undefined || s.pskProblem !== undefined) {
    return { refuse: false, message: 'pskIdentity= / pskKey= are for a coaps:// bootstrap URI; ignored with a coap:// one' };
  }
  return undefined;
}

/** pskIdentity= (text) and pskKey= (hex) → the PSK, or why not. Messages never contain the key. */
export function readPsk(
  identityValue: unknown,
  keyValue: unknown,
): { bootstrapPsk: BootstrapPsk | undefined; pskProblem: string | undefined } {
  const identity = text(identityValue);
  const keyGiven = keyValue !== undefined && keyValue !== null && keyValue !== '';
  const fail = (problem: string) => ({ bootstrapPsk: undefined, pskProblem: problem });
  if (identity === undefined && !keyGiven) return { bootstrapPsk: undefined, pskProblem: undefined };
  if (identity === undefined) return fail('pskKey= is given without pskIdentity=');
  if (!keyGiven) return fail('pskIdentity= is given without pskKey=');
  const identityBytes = utf8Length(identity);
  if (identityBytes > MAX_PSK_IDENTITY_BYTES) return fail(`pskIdentity= is ${identityBytes} bytes long; at most ${MAX_PSK_IDENTITY_BYTES}`);
  // A manifest number would have lost leading zeros: only text is a key.
  const key = typeof keyValue === 'string' ? parseHex(keyValue.trim()) : undefined;
  if (key === undefined) return fail('pskKey= must be hex digits, two per byte');
  if (key.length > MAX_PSK_KEY_BYTES) {
    key.fill(0);
    return fail(`pskKey= is ${key.length} bytes long; at most ${MAX_PSK_KEY_BYTES}`);
  }
  return { bootstrapPsk: { identity, key }, pskProblem: undefined };
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

// What an application gives the LwM2M client (ClientOptions) and hears from
// it (ClientEvent), and the factory configuration it starts from when nothing
// is stored.
import type { EndpointOptions } from '../../coap/api';
import type { CborCodec, ResourceRecord } from '../../formats/index';
import type { TlvBackend } from '../../codec/backend';
import type { DatagramTransport, Logger, Random, Timers, WallClock } from '../../platform/ports';
import type { DtlsCrypto } from '../../dtls/crypto';
import type { RetransmitPolicy } from '../../dtls/transport';
import {
  bootstrapAccountRecords,
  serverAccountRecords,
  type BootstrapAccountSpec,
  type ServerAccountSpec,
} from '../bootstrap/account-records';
import type { ApplyLimits } from '../objects/apply';
import type { ClientState } from './client-states';
import type { DeviceInfo } from '../objects/device-object';
import { ObjectTree } from '../objects/object-tree';
import type { ReportingOptions } from '../reporting/reporting';
import type { FirmwareUpdateOptions } from '../firmware-update/update';
import type { ObjectSpec } from '../objects/object-api';
import type { QueueModeOptions } from '../queue-mode/queue-link';

export type ClientEvent =
  | { type: 'state'; state: ClientState }
  | { type: 'bootstrap-request'; uri: string }
  | { type: 'bootstrap-operation'; method: string; path: string; code: string }
  | { type: 'bootstrap-finished'; ok: boolean; diagnostic?: string }
  | { type: 'bootstrap-aborted'; reason: string }
  | { type: 'registered'; ssid: number; location: string }
  /** Registered still after a deep sleep (Queue Mode with retained memory): no Register was sent, observations go on. */
  | { type: 'resumed'; ssid: number; location: string }
  | { type: 'updated'; ssid: number }
  | { type: 'registration-failed'; ssid: number }
  | { type: 'deregistered'; ssid: number }
  /** Queue Mode: the radio went off (the client sleeps) or on again. */
  | { type: 'radio'; on: boolean };

/** Where the configuration survives a reboot (the flash record store on a device). */
export interface ConfigPersistence {
  load(): ObjectTree | undefined;
  /**
   * Atomic: the whole tree or nothing, and with it, when given, the attributes' record (null deletes it),
   * so the two never belong to different configurations. Returns false when it could not be stored.
   */
  save(tree: ObjectTree, attributes?: Uint8Array | null): boolean;
  /** The notification attributes' record (reporting/attribute-records.ts), kept beside the configuration. */
  loadAttributes?(): Uint8Array | undefined;
  /** Stores (or, with null, deletes) that record; false when it could not be stored. */
  saveAttributes?(record: Uint8Array | null): boolean;
  /** Factory Reset: erases the configuration and the attributes in one commit; false when it could not. */
  clear?(): boolean;
  /** The record of the Register forms strict servers took (registration/register-forms.ts), beside the configuration. */
  loadRegisterForms?(): Uint8Array | undefined;
  /** Stores (or, with null, deletes) that record; false when it could not be stored. */
  saveRegisterForms?(record: Uint8Array | null): boolean;
}

export interface FactoryConfig {
  /** The Bootstrap-Server Account the device ships with. */
  bootstrap?: BootstrapAccountSpec;
  /** LwM2M Server Accounts the device ships with (coaps:// ones with `psk`). */
  servers?: ServerAccountSpec[];
}

export interface ClientOptions {
  endpointName: string;
  transport: DatagramTransport;
  timers: Timers;
  random: Random;
  log: Logger;
  wallClock?: WallClock;
  factory?: FactoryConfig;
  persistence?: ConfigPersistence;
  device?: DeviceInfo;
  /** Host name → IP literal; undefined when it cannot be resolved. IP literals need no resolver. */
  resolveHost?: (host: string) => Promise<string | undefined>;
  /** Sent as `pct=` in the Bootstrap-Request (1.1). */
  preferredContentFormat?: number;
  coap?: Partial<Omit<EndpointOptions, 'transport' | 'timers' | 'random' | 'log'>>;
  /** DTLS for coaps:// accounts (PSK); without it a coaps account is refused at Bootstrap-Finish. */
  dtls?: ClientDtlsOptions;
  /** Firmware Update (/5): where images go and how they are checked; no object 5 without it. */
  firmware?: FirmwareUpdateOptions;
  /** Bootstrap-Request retry: first delay and cap, seconds (exponential with jitter). */
  bootstrapRetry?: { initialDelay?: number; maxDelay?: number };
  /**
   * Bound on each De-register (stop, Bootstrap-Request Trigger), ms; default: CoAP's own retransmissions
   * (up to MAX_TRANSMIT_WAIT, 93 s, for a server that is gone).
   */
  deregisterTimeoutMs?: number;
  /** Bootstrap sequence abandoned after this long without a request from the Bootstrap-Server, seconds (default EXCHANGE_LIFETIME). */
  bootstrapSequenceTimeout?: number;
  limits?: Partial<ApplyLimits>;
  /**
   * The application's objects (objects/object-api.ts): each with its definition (built-in, e.g. 3303 Temperature,
   * or its own from a DDF), its initial instances and a handler for Read, Write, Execute, Create and Delete.
   * A bare id serves a built-in definition from values the application sets (setValue).
   */
  objects?: ReadonlyArray<number | ObjectSpec>;
  /**
   * The TLV codec the content formats run on (a port: wasm on Node, the wasm2c C on the device); default: the
   * TypeScript one. Resources are typed with the client's own object definitions.
   */
  tlv?: TlvBackend;
  /** The CBOR codec under SenML CBOR and CBOR (a port: cbor-x on Node); default: the core's own. */
  cbor?: CborCodec;
  /** How long a Read waits for a handler's asynchronous value before 5.03, ms; default 2000. */
  readTimeout?: number;
  /**
   * Queue Mode (Core §6.5): register with `Q`, listen for `awakeMs` (default MAX_TRANSMIT_WAIT) after each
   * message sent, then turn the radio off (`power`) until something is to be sent (queue-mode/queue-link.ts).
   */
  queueMode?: QueueModeOptions;
  /** Information Reporting bounds and confirmable policy. */
  reporting?: ReportingOptions;
  /** Called once the client stopped for good (after stop()): its owner frees the socket and the flash there. */
  onStopped?: () => void;
  onEvent?: (e: ClientEvent) => void;
}

export interface ClientDtlsOptions {
  /** The platform's primitives: node:crypto on Node, the SDK's crypt modules on the device. */
  crypto: DtlsCrypto;
  /** Largest datagram sent (handshake flights are fragmented to fit). */
  mtu?: number;
  retransmit?: Partial<RetransmitPolicy>;
  /** Offer a DTLS Connection ID (RFC 9146), default true: the session survives a NAT rebinding; false opts out. */
  connectionId?: boolean;
  /** Bytes of the CID the client asks servers to put in their records to it; 0 (default) asks for none. */
  connectionIdLength?: number;
}

/** Build the factory configuration tree. */
export function factoryTree(f: FactoryConfig | undefined): ObjectTree {
  const t = new ObjectTree();
  const records: ResourceRecord[] = [];
  let sec = 0;
  if (f?.bootstrap) records.push(...bootstrapAccountRecords(sec++, f.bootstrap));
  f?.servers?.forEach((s, n) => {
    const r = serverAccountRecords(sec++, n, s);
    records.push(...r.security, ...r.server);
  });
  for (const r of records) t.set(r.path.objectId!, r.path.instanceId!, r.path.resourceId!, r.value);
  return t;
}

// The one place a device is put together: the platform hands in its ports
// (datagrams, timers, randomness, log, clock, flash, image slot, DTLS crypto,
// host look-up, the TLV and CBOR codecs), this mounts the object store on the
// flash, makes the content formats over the codecs and creates the LwM2M
// client over both. The firmware (xs-lwm2m.ts), the Node runtime
// (host/runtime.ts), the XS-on-host entries and the test rig all call it, so
// a device is wired the same way in every engine.
import type { DatagramTransport, Flash, Logger, Random, Timers, WallClock } from '../../platform/ports';
import type { DtlsCrypto } from '../../dtls/crypto';
import { RecordStore } from '../../store/record-store';
import type { TlvBackend } from '../../codec/backend';
import type { CborCodec } from '../../formats/index';
import { LwM2MClient } from './client';
import type { ClientDtlsOptions, ClientOptions, ConfigPersistence } from './client-options';
import type { FirmwareUpdateOptions } from '../firmware-update/update';
import { pendingUpdateStore, storePersistence } from './persistence';

/** Flash to mount, or a store the platform mounted already (to report a missing partition at boot). */
export type StorePort = Flash | RecordStore;

/** Everything the engine touches outside itself. */
export interface DevicePorts {
  transport: DatagramTransport;
  timers: Timers;
  random: Random;
  log: Logger;
  wallClock?: WallClock;
  /**
   * The configuration's store: without it nothing survives a restart (a fresh bootstrap each time). A ready
   * ConfigPersistence (a test's in-memory one) is used as it is.
   */
  store?: StorePort | ConfigPersistence;
  /** DTLS primitives: without them coaps:// accounts cannot be used. */
  dtlsCrypto?: DtlsCrypto;
  /**
   * Firmware Update (/5): the image slot, its format and a streaming SHA-256; without it there is no /5.
   * A pending update is kept in its own `store` when given, else in the configuration's store, else in `pendingStore`.
   */
  firmware?: FirmwareUpdateOptions & { pendingStore?: StorePort };
  /** Host-name look-up for server URIs with names (undefined: IP literals only). */
  resolveHost?: (host: string) => Promise<string | undefined>;
  /** The TLV codec: wasm on Node, the wasm2c C on the device, wasm2js in XS on the host (default: the TypeScript one). */
  tlv?: TlvBackend;
  /** The CBOR codec under SenML CBOR and CBOR: cbor-x on Node (default: the core's own). */
  cbor?: CborCodec;
  /** What the platform frees once the client stopped for good (its socket, its flash file). */
  release?: () => void;
}

/** What the device is: its identity, factory configuration, objects and bounds (the ports excluded). */
export type DeviceOptions = Omit<
  ClientOptions,
  'transport' | 'timers' | 'random' | 'log' | 'wallClock' | 'persistence' | 'dtls' | 'firmware' | 'resolveHost' | 'tlv' | 'cbor'
> & { dtls?: Omit<ClientDtlsOptions, 'crypto'> };

export interface Device {
  readonly client: LwM2MClient;
  /** The mounted configuration store (undefined without a store port). */
  readonly store: RecordStore | undefined;
}

/** Mounts the record store on a flash port (the store recovers from a power cut at any instant). */
export function mountStore(port: StorePort, log: Logger): RecordStore {
  return port instanceof RecordStore ? port : RecordStore.mount(port, { log });
}

export function assembleDevice(ports: DevicePorts, options: DeviceOptions): Device {
  const { log } = ports;
  const given = ports.store;
  const persistence = given !== undefined && isPersistence(given) ? given : undefined;
  const store = given === undefined || persistence !== undefined ? undefined : mountStore(given as StorePort, log);
  let firmware: FirmwareUpdateOptions | undefined;
  if (ports.firmware !== undefined) {
    const { pendingStore, ...fw } = ports.firmware;
    const pending =
      fw.store !== undefined ? undefined : (store ?? (pendingStore === undefined ? undefined : mountStore(pendingStore, log)));
    firmware = pending === undefined ? fw : { ...fw, store: pendingUpdateStore(pending, log) };
  }
  const { dtls, ...rest } = options;
  const client = new LwM2MClient({
    ...rest,
    transport: ports.transport,
    timers: ports.timers,
    random: ports.random,
    log,
    ...(ports.wallClock === undefined ? {} : { wallClock: ports.wallClock }),
    ...(store === undefined ? {} : { persistence: storePersistence(store, log) }),
    ...(persistence === undefined ? {} : { persistence }),
    ...(ports.dtlsCrypto === undefined ? {} : { dtls: { ...dtls, crypto: ports.dtlsCrypto } }),
    ...(firmware === undefined ? {} : { firmware }),
    ...(ports.resolveHost === undefined ? {} : { resolveHost: ports.resolveHost }),
    // The client makes its content formats over these codecs, typing resources with its own definitions.
    ...(ports.tlv === undefined ? {} : { tlv: ports.tlv }),
    ...(ports.cbor === undefined ? {} : { cbor: ports.cbor }),
    ...(ports.release === undefined ? {} : { onStopped: ports.release }),
  });
  return { client, store };
}

function isPersistence(p: StorePort | ConfigPersistence): p is ConfigPersistence {
  return typeof (p as ConfigPersistence).load === 'function' && typeof (p as ConfigPersistence).save === 'function';
}

// Wiring the core to the Node port for the host tools.
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { LwM2MClient, ClientEvent, ClientOptions } from '../firmware/lwm2m/engine/client';
import { assembleDevice, type DevicePorts } from '../firmware/lwm2m/engine/device-assembly';
import type { DeviceInfo } from '../firmware/lwm2m/objects/device-object';
import { consoleLogger, nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../firmware/platform/node';
import { nodeTlv } from '../firmware/platform/node/formats';
import { createCborXCodec } from '../firmware/platform/node/cbor-x';
import { nodeCrypto, nodeSha256Stream } from '../firmware/platform/node/crypto';
import { FileSlot } from '../firmware/platform/node/file-slot';
import { hostImageFormat, type ImageInfo } from '../firmware/lwm2m/firmware-update/image';
import { FileFlash } from '../firmware/platform/node/file-flash';
import type { FirmwareSlot, LogLevel, Logger } from '../firmware/platform/ports';
import { utf8Encode } from '../firmware/util/utf8';
import { coapTracer } from './coap-trace';
import { checkStateSetup, lockState } from './state-dir';

export async function resolveHost(host: string): Promise<string | undefined> {
  try {
    return (await lookup(host)).address;
  } catch {
    return undefined;
  }
}

export interface NodeClientOptions {
  endpointName: string;
  bootstrapUri?: string;
  serverUri?: string;
  stateDir?: string;
  /** PSK credentials for the coaps:// account given by bootstrapUri or serverUri. */
  psk?: { identity: string; key: Uint8Array };
  port?: number;
  logLevel?: LogLevel;
  log?: Logger;
  /** Drop what stateDir holds and start from these options (a directory set up for another endpoint or server is refused otherwise). */
  resetState?: boolean;
  /** Bound on each De-register when the client stops, ms (default 5 s: a server that is gone does not hold up Ctrl-C). */
  deregisterTimeoutMs?: number;
  onEvent?: (e: ClientEvent) => void;
  /** The application's objects (ClientOptions.objects): IPSO objects with ready handlers, its own definitions and handlers. */
  objects?: ClientOptions['objects'];
  /** Device Object values beyond the host's own (manufacturer, model …). */
  device?: Omit<DeviceInfo, 'reboot'>;
  extra?: Partial<ClientOptions>;
}

/** Firmware Update (/5) of a Node client: host images into a file-backed slot. */
export interface NodeFirmwareOptions {
  /** The slot's state directory: image-a.bin, image-b.bin, boot.json (and the pending-update store without stateDir). */
  dir: string;
  /** Largest image, bytes (default 1 MiB). */
  capacity?: number;
  /** /3/0/3 while no image was ever installed (default the package version, 0.1.0). */
  factoryVersion?: string;
  /** Block size of pulls as an SZX (5: 512 bytes, 6: 1024, the default). */
  blockSzx?: number;
  /**
   * Whether an image starts (tests, demos): false makes its boot fail the way
   * a crash before registering does — the device resets at once, and a trial
   * image that fails its second boot too is rolled back.
   */
  starts?: (image: ImageInfo) => boolean;
}

export interface NodeDeviceOptions extends NodeClientOptions {
  firmware?: NodeFirmwareOptions;
  /** After each restart into new firmware (or back after a failed one): the new client, already started. */
  onRestart?: (client: LwM2MClient, boot: FirmwareSlot['boot'], version: string) => void;
}

/**
 * A Node client as a device: the client, and what its "reboot" does. With
 * `firmware`, Update (/5/0/2) restarts it in this process, as a reset would:
 * the running client halts (no De-register), its socket and store close, and
 * a new client starts from what is on disk, with /3/0/3 from the new image.
 */
export interface NodeDevice {
  /** The client running now (a new one after each restart). */
  readonly client: LwM2MClient;
  /** The firmware version running now (/3/0/3). */
  readonly version: string;
  /** The slot as the running client's boot saw it (undefined without firmware). */
  readonly slot: FileSlot | undefined;
  readonly restarts: number;
  /** Resolves with the client started by the next restart. */
  nextRestart(): Promise<LwM2MClient>;
  /** De-registers and releases the socket and the store. */
  stop(): Promise<void>;
}

/** The configuration's flash file in a state directory. */
const STORE_FILE = 'lwm2m-store.bin';

/** How long a host client's stop waits for each server's answer to De-register. */
export const DEREGISTER_TIMEOUT_MS = 5000;

/** The factory firmware version of a Node client. */
export const NODE_FACTORY_VERSION = '0.1.0';

/** The client of the host tools; see startNodeDevice for one that takes firmware updates. */
export async function startNodeClient(o: NodeClientOptions): Promise<LwM2MClient> {
  return (await startNodeDevice(o)).client;
}

export async function startNodeDevice(o: NodeDeviceOptions): Promise<NodeDevice> {
  const log = o.log ?? consoleLogger(o.logLevel ?? 'info', 'client');
  // One client per state directory, and only the one it was set up for (state-dir.ts).
  let unlock = () => {};
  if (o.stateDir) {
    if (!existsSync(o.stateDir)) mkdirSync(o.stateDir, { recursive: true });
    unlock = lockState(o.stateDir);
    try {
      checkStateSetup(
        o.stateDir,
        STORE_FILE,
        { endpoint: o.endpointName, bootstrap: o.bootstrapUri, server: o.serverUri },
        o.resetState ?? false,
      );
    } catch (e) {
      unlock();
      throw e;
    }
  }
  let current!: Booted;
  let restarts = 0;
  let waiting: Array<(c: LwM2MClient) => void> = [];
  let stopped = false;
  let restarting: Promise<void> | undefined;

  const restart = (): void => {
    // activate() calls this from inside the client's turn: the "reset" happens after that turn.
    restarting = (async () => {
      await new Promise<void>((r) => setImmediate(r));
      if (stopped) return;
      const old = current;
      old.client.halt();
      old.release();
      log.info(`runtime: restarting ${o.endpointName} (firmware ${old.version})`);
      current = await boot(o, log, restart);
      restarts++;
      log.info(`runtime: running firmware ${current.version}${current.slot ? ` (boot ${current.slot.boot})` : ''}`);
      try {
        o.onRestart?.(current.client, current.slot?.boot ?? 'normal', current.version);
      } catch {
        /* observer bug */
      }
      const w = waiting;
      waiting = [];
      for (const f of w) f(current.client);
    })();
    restarting.catch((e: Error) => log.error(`runtime: restart failed: ${e.message}`));
  };

  try {
    current = await boot(o, log, restart);
  } catch (e) {
    unlock();
    throw e;
  }
  return {
    get client() {
      return current.client;
    },
    get version() {
      return current.version;
    },
    get slot() {
      return current.slot;
    },
    get restarts() {
      return restarts;
    },
    nextRestart: () => new Promise<LwM2MClient>((r) => waiting.push(r)),
    stop: async () => {
      stopped = true;
      await restarting?.catch(() => {});
      try {
        await current.client.stop();
      } finally {
        unlock();
      }
    },
  };
}

interface Booted {
  client: LwM2MClient;
  slot: FileSlot | undefined;
  version: string;
  /** Closes what a reset takes away: the socket and the flash file. */
  release(): void;
}

/** What a power-on does: open the socket and the store, read the boot state, start a client. */
async function boot(o: NodeDeviceOptions, log: Logger, restart: () => void): Promise<Booted> {
  const v6 = /\[/.test(o.bootstrapUri ?? o.serverUri ?? '');
  const transport = await bindUdp({ port: o.port ?? 0, address: v6 ? '::' : '0.0.0.0', log });
  const flashes: FileFlash[] = [];
  const flash = (dir: string, file = STORE_FILE) => {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    const f = new FileFlash(join(dir, file), { byteLength: 16384, blockSize: 4096 });
    flashes.push(f);
    return f;
  };
  const store = o.stateDir ? flash(o.stateDir) : undefined;

  let slot: FileSlot | undefined;
  let version = o.firmware?.factoryVersion ?? NODE_FACTORY_VERSION;
  let firmware: DevicePorts['firmware'];
  if (o.firmware) {
    const fw = o.firmware;
    for (let resets = 0; ; resets++) {
      slot = new FileSlot(fw.dir, { capacity: fw.capacity, restart });
      const head = slot.readCurrent(hostImageFormat.headerLength);
      const info = head ? hostImageFormat.inspect(head) : undefined;
      version = fw.factoryVersion ?? NODE_FACTORY_VERSION;
      if (info?.ok) version = info.info.version;
      else if (info) log.error(`runtime: the running image's header is damaged (${info.reason}); reporting the factory version`);
      if (!info?.ok || !fw.starts || fw.starts(info.info) || resets >= 3) break;
      log.error(`runtime: firmware ${version} did not start; resetting`);
    }
    // The pending update lives in the configuration's store, or in one of its own beside the slot.
    firmware = {
      slot,
      format: hostImageFormat,
      sha256: nodeSha256Stream,
      ...(store ? {} : { pendingStore: flash(fw.dir, 'pending-update.bin') }),
      ...(fw.blockSzx !== undefined ? { blockSzx: fw.blockSzx } : {}),
    };
  }

  const release = () => {
    transport.close();
    for (const f of flashes) f.close();
  };
  const psk = o.psk ? { identity: utf8Encode(o.psk.identity), key: o.psk.key } : undefined;
  const { client } = assembleDevice(
    {
      transport,
      timers: nodeTimers,
      random: nodeRandom,
      log,
      wallClock: nodeWallClock,
      store,
      dtlsCrypto: nodeCrypto,
      firmware,
      resolveHost,
      // TLV on the wasm codec when built (npm run build), SenML CBOR through cbor-x (the device keeps the built-in codec).
      tlv: nodeTlv(log),
      cbor: createCborXCodec(),
      // The socket and the store are ours, not the client's: released once it has de-registered.
      release,
    },
    {
      endpointName: o.endpointName,
      factory: {
        bootstrap: o.bootstrapUri ? { uri: o.bootstrapUri, psk: o.bootstrapUri.startsWith('coaps:') ? psk : undefined } : undefined,
        servers: o.serverUri
          ? [{ uri: o.serverUri, ssid: 1, lifetime: 300, psk: o.serverUri.startsWith('coaps:') ? psk : undefined }]
          : undefined,
      },
      deregisterTimeoutMs: o.deregisterTimeoutMs ?? DEREGISTER_TIMEOUT_MS,
      device: {
        manufacturer: 'xs-lwm2m',
        modelNumber: 'host',
        serialNumber: hostname(),
        firmwareVersion: version,
        softwareVersion: `node ${process.version}`,
        deviceType: 'laptop',
        powerSources: [5],
        memoryTotalKiB: Math.round(process.memoryUsage().rss / 1024),
        memoryFreeKiB: () => Math.round((process.memoryUsage().heapTotal - process.memoryUsage().heapUsed) / 1024),
        ...o.device,
        // Reboot and Factory Reset (/3/0/4, /3/0/5) restart the client in this process, as a reset would.
        reboot: restart,
      },
      objects: o.objects,
      onEvent: o.onEvent,
      ...o.extra,
      // --log debug: every CoAP message in and out (above DTLS), beside what the layers log.
      ...(o.logLevel === 'debug' ? { coap: { ...o.extra?.coap, trace: coapTracer(log) } } : {}),
    },
  );
  client.start();
  return { client, slot, version, release };
}

/** Binds the client's socket; a fixed port just released by a restart may take a moment to be free. */
async function bindUdp(opts: { port: number; address: string; log: Logger }): Promise<UdpTransport> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openUdp(opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port === 0 || attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// A client with a Firmware Update object over the rig: a RAM slot with an
// ESP32-like bootloader (memory-slot.ts), the pending update in a record store
// on RAM flash, host images, and a file server for pulls on the same network.
import { sha256, testImage } from '../update/support/images';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats';
import type { ClientOptions } from '../../firmware/lwm2m/engine/client';
import { hostImageFormat } from '../../firmware/lwm2m/firmware-update/image';
import { pendingUpdateStore } from '../../firmware/lwm2m/engine/persistence';
import { nodeSha256Stream } from '../../firmware/platform/node/crypto';
import { silentLogger, type Flash, type Logger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { openUdp } from '../../firmware/platform/node';
import { MemoryFlash } from './memory-flash';
import { MemorySlot, SlotFlash } from './memory-slot';
import { openRig, type Rig, type RigOptions } from './rig';

export const FACTORY_VERSION = '1.0.0';
/** The slot of the tests: an ESP32 app partition of 1.5 MiB. */
export const SLOT_CAPACITY = 1536 * 1024;

export { sha256 };

/** A host image named "xs-lwm2m" of `size` bytes in all; `seed` varies the body of one version. */
export function image(version: string, size: number, seed = 1): Uint8Array {
  return testImage(version, size, 'xs-lwm2m', seed);
}

export class Fota {
  readonly flash = new SlotFlash(FACTORY_VERSION);
  readonly storeFlash = new MemoryFlash({ byteLength: 16384 });
  slot!: MemorySlot;
  /** Set when the client asked to restart into its new image. */
  restartRequested = false;
  capacity = SLOT_CAPACITY;

  constructor(
    readonly rig: Rig,
    private readonly log: Logger,
  ) {}

  /** ClientOptions for a boot: the slot as the bootloader left it, the store, the running version. */
  options(boot: MemorySlot['boot'] = 'normal', storeFlash: Flash = this.storeFlash): Partial<ClientOptions> {
    this.slot = new MemorySlot(this.flash, this.capacity, boot, () => {
      this.restartRequested = true;
    });
    const store = pendingUpdateStore(RecordStore.mount(storeFlash, { log: this.log }), this.log);
    return {
      firmware: { slot: this.slot, format: hostImageFormat, sha256: nodeSha256Stream, store, downloadTimeoutMs: 7_200_000 },
      device: { manufacturer: 'Test', modelNumber: 'rig', serialNumber: 'S1', firmwareVersion: this.flash.runningVersion },
    };
  }

  /** A reset: the old client goes quiet, the bootloader picks the image, a new client starts from it. */
  async reset(storeFlash?: Flash): Promise<void> {
    this.rig.client.halt();
    this.restartRequested = false;
    const boot = this.flash.reset();
    this.rig.client = this.rig.newClient(this.options(boot, storeFlash));
    this.rig.client.start();
  }

  /** The client's /5/0 State and Update Result, and /3/0/3. */
  get state(): number {
    return this.rig.client.running.get(5, 0, 3) as number;
  }
  get result(): number {
    return this.rig.client.running.get(5, 0, 5) as number;
  }
}

/** A rig whose client has a Firmware Update object (factory accounts, registered). */
export async function openFota(o: Partial<RigOptions> = {}): Promise<Fota> {
  const log = o.log ?? silentLogger;
  let fota: Fota | undefined;
  const rig = await openRig({
    kind: 'memory',
    bootstrap: 'factory',
    ...o,
    log,
    device: () => ({
      manufacturer: 'Test',
      modelNumber: 'rig',
      serialNumber: 'S1',
      firmwareVersion: fota?.flash.runningVersion ?? FACTORY_VERSION,
    }),
  });
  fota = new Fota(rig, log);
  rig.client = rig.newClient(fota.options());
  rig.client.start();
  await rig.expect(() => rig.client.registeredServers.length === (o.servers ?? 1), 'registration', 20_000);
  await rig.advance(20);
  return fota;
}

export interface FileServer {
  endpoint: CoapEndpoint;
  uri: (name: string) => string;
  gets: number;
  close(): void;
}

/** A CoAP file server on the rig's network (a firmware repository, RFC 7959 Block2). */
export async function fileServer(rig: Rig, files: Record<string, Uint8Array>, address = '127.0.0.9', port = 5683): Promise<FileServer> {
  const t = rig.net ? rig.net.bind(address, port) : await openUdp({ address: '127.0.0.1' });
  const endpoint = new CoapEndpoint({ transport: t, timers: rig.timers, random: rig.random, log: silentLogger });
  // The endpoint does not own its transport: close() releases both (a real socket keeps Node alive).
  const s = {
    endpoint,
    gets: 0,
    uri: (name: string) => `coap://${t.address}:${t.port}/fw/${name}`,
    close: () => {
      endpoint.close();
      t.close();
    },
  };
  endpoint.onRequest = (req) => {
    if (req.method !== Code.GET || req.path[0] !== 'fw') return { code: Code.NOT_FOUND };
    s.gets++;
    const f = files[req.path[1] ?? ''];
    return f ? { code: Code.CONTENT, contentFormat: ContentFormat.OPAQUE, payload: f } : { code: Code.NOT_FOUND };
  };
  return s;
}

/** A push the way our server does it (LwM2MServer.writePackage): block by block, a lost block sent again. */
export async function pushResumable(f: Fota, endpointName: string, img: Uint8Array, szx = 6): Promise<string> {
  return (await f.rig.server.writePackage(endpointName, img, { szx })).code;
}

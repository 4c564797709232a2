// Wiring the core to the Node port for the host tools.
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { LwM2MClient, type ClientEvent, type ClientOptions } from '../firmware/lwm2m/client';
import { consoleLogger, nodeRandom, nodeTimers, nodeWallClock, openUdp } from '../firmware/platform/node';
import { installNodeTlv } from '../firmware/platform/node/tlv-wasm';
import { installCborX } from '../firmware/platform/node/cbor-x';
import { nodeCrypto } from '../firmware/platform/node/crypto';
import { FileFlash } from '../firmware/platform/node/file-flash';
import type { LogLevel, Logger } from '../firmware/platform/ports';
import { storePersistence } from '../firmware/lwm2m/persistence';
import { RecordStore } from '../firmware/store/record-store';
import { utf8Encode } from '../firmware/util/utf8';

let tlvInstalled = false;
/** Use the AssemblyScript wasm TLV codec when it has been built (npm run build). */
export function installTlv(log?: Logger): void {
  if (tlvInstalled) return;
  tlvInstalled = true;
  try { installNodeTlv(); } catch (e) { log?.warn(`TLV: wasm codec not built (${(e as Error).message}); using the TypeScript codec`); }
  installCborX();   // SenML CBOR through the npm package cbor-x on Node (the device keeps the built-in codec)
}

export async function resolveHost(host: string): Promise<string | undefined> {
  try { return (await lookup(host)).address; } catch { return undefined; }
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
  onEvent?: (e: ClientEvent) => void;
  extra?: Partial<ClientOptions>;
}

export async function startNodeClient(o: NodeClientOptions): Promise<LwM2MClient> {
  const log = o.log ?? consoleLogger(o.logLevel ?? 'info', 'client');
  installTlv(log);
  const v6 = /\[/.test(o.bootstrapUri ?? o.serverUri ?? '');
  const transport = await openUdp({ port: o.port ?? 0, address: v6 ? '::' : '0.0.0.0', log });
  let persistence;
  if (o.stateDir) {
    if (!existsSync(o.stateDir)) mkdirSync(o.stateDir, { recursive: true });
    const flash = new FileFlash(join(o.stateDir, 'lwm2m-store.bin'), { byteLength: 16384, blockSize: 4096 });
    persistence = storePersistence(RecordStore.mount(flash, { log }), log);
  }
  const psk = o.psk ? { identity: utf8Encode(o.psk.identity), key: o.psk.key } : undefined;
  const client = new LwM2MClient({
    endpointName: o.endpointName, transport, timers: nodeTimers, random: nodeRandom, log, wallClock: nodeWallClock,
    factory: {
      bootstrap: o.bootstrapUri ? { uri: o.bootstrapUri, psk: o.bootstrapUri.startsWith('coaps:') ? psk : undefined } : undefined,
      servers: o.serverUri ? [{ uri: o.serverUri, ssid: 1, lifetime: 300, psk: o.serverUri.startsWith('coaps:') ? psk : undefined }] : undefined,
    },
    dtls: { crypto: nodeCrypto },
    persistence,
    resolveHost,
    device: {
      manufacturer: 'xs-lwm2m', modelNumber: 'host', serialNumber: hostname(), firmwareVersion: '0.1.0',
      softwareVersion: `node ${process.version}`, deviceType: 'laptop', powerSources: [5],
      memoryTotalKiB: Math.round(process.memoryUsage().rss / 1024),
      memoryFreeKiB: () => Math.round((process.memoryUsage().heapTotal - process.memoryUsage().heapUsed) / 1024),
    },
    onEvent: o.onEvent,
    ...o.extra,
  });
  // The socket is ours, not the client's: release it after the de-registration.
  const stop = client.stop.bind(client);
  client.stop = async () => { await stop(); transport.close(); };
  client.start();
  return client;
}

// A client, a Bootstrap-Server and LwM2M Servers wired together either over
// the in-memory network in virtual time or over real loopback UDP.
import type { Peer, RequestHandler } from '../../firmware/coap/api';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { decodeMessage, methodName, type CoapMessage } from '../../firmware/coap/message';
import { getUriPath, getUriQuery } from '../../firmware/coap/options';
import { LwM2MClient, type ClientEvent, type ClientOptions, type ConfigPersistence } from '../../firmware/lwm2m/client';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import type { DatagramTransport, Logger, Random, Timers } from '../../firmware/platform/ports';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer, type BootstrapConfig, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { MemoryNetwork } from '../support/memory-network';
import { SeededRandom } from '../support/seeded-random';
import { letTimePass, settled, waitUntil } from '../support/test-time';
import { VirtualClock } from '../support/virtual-clock';

/** 'lossy' is the in-memory network with 30 % loss and 10 % duplication. */
export type RigKind = 'memory' | 'lossy' | 'udp';

export interface WireRecord { at: number; from: string; to: string; message: CoapMessage }

export interface RigOptions {
  kind: RigKind;
  seed?: number;
  loss?: number;
  duplicate?: number;
  endpointName?: string;
  /** Bootstrap-Server config; 'manual' binds a bare endpoint the test drives; 'none' binds nothing. */
  bootstrap?: BootstrapConfig | 'manual' | 'none';
  /** Number of LwM2M Servers to start (default 1). */
  servers?: number;
  client?: Partial<ClientOptions>;
  persistence?: ConfigPersistence;
  log?: Logger;
}

export class Rig {
  clock?: VirtualClock;
  net?: MemoryNetwork;
  timers!: Timers;
  random!: Random;
  clientTransport!: DatagramTransport & { port: number; address: string };
  client!: LwM2MClient;
  bs?: BootstrapServer;
  manualBs?: CoapEndpoint;
  bsUri = '';
  bsPeer!: Peer;
  servers: LwM2MServer[] = [];
  serverUris: string[] = [];
  readonly events: ClientEvent[] = [];
  readonly bsEvents: BootstrapEvent[] = [];
  readonly serverEvents: ServerEvent[][] = [];
  readonly wire: WireRecord[] = [];
  private closers: Array<() => void> = [];
  private bind!: (address: string, port: number) => Promise<DatagramTransport & { port: number; address: string }>;
  private rebindPort = -1;

  constructor(readonly o: RigOptions) {}

  get endpointName(): string { return this.o.endpointName ?? 'node-1'; }

  async open(): Promise<this> {
    const log = this.o.log ?? silentLogger;
    let bind: (address: string, port: number) => Promise<DatagramTransport & { port: number; address: string }>;
    if (this.o.kind === 'lossy') { this.o.loss ??= 0.3; this.o.duplicate ??= 0.1; }
    if (this.o.kind !== 'udp') {
      const clock = new VirtualClock(1_000_000);
      const random = new SeededRandom(this.o.seed ?? 7);
      const net = new MemoryNetwork({ clock, random: new SeededRandom((this.o.seed ?? 7) + 1000), loss: this.o.loss ?? 0, duplicate: this.o.duplicate ?? 0, delay: [1, 5] });
      this.clock = clock; this.net = net; this.timers = clock; this.random = random;
      net.onSend = (d) => {
        const m = decodeMessage(d.data);
        if (m.ok) this.wire.push({ at: d.at, from: d.from, to: d.to, message: m.message });
      };
      bind = async (address, port) => net.bind(address, port);
    } else {
      this.timers = nodeTimers; this.random = nodeRandom;
      bind = async (_address, port) => {
        // Fixed ports are for the in-memory network; on UDP only a rebind reuses one.
        const t = await openUdp({ address: '127.0.0.1', port: port === this.rebindPort ? port : 0 });
        const orig = t.send.bind(t);
        t.send = (data, address, port) => {
          const m = decodeMessage(data);
          if (m.ok) this.wire.push({ at: Date.now(), from: `127.0.0.1/${t.port}`, to: `${address}/${port}`, message: m.message });
          orig(data, address, port);
        };
        return t;
      };
    }
    this.bind = bind;
    // Addresses on the in-memory network are loopback ones, like the UDP rig's.
    const host = (n: number) => (this.o.kind !== 'udp' ? `127.0.0.${n}` : '127.0.0.1');
    const bsT = await bind(host(2), 5685);
    this.bsPeer = { address: bsT.address, port: bsT.port };
    this.bsUri = `coap://${bsT.address}:${bsT.port}`;
    for (let i = 0; i < (this.o.servers ?? 1); i++) {
      const t = await bind(host(3 + i), 5683);
      this.serverUris.push(`coap://${t.address}:${t.port}`);
      const events: ServerEvent[] = [];
      this.serverEvents.push(events);
      const s = new LwM2MServer({ transport: t, timers: this.timers, random: this.random, log, onEvent: (e) => events.push(e) });
      this.servers.push(s);
      this.closers.push(() => s.close());
    }
    const bsCfg = this.o.bootstrap ?? this.defaultBootstrapConfig();
    if (bsCfg === 'manual') {
      this.manualBs = new CoapEndpoint({ transport: bsT, timers: this.timers, random: this.random, log });
      this.closers.push(() => { this.manualBs!.close(); bsT.close(); });
    } else if (bsCfg === 'none') {
      bsT.close();
    } else {
      this.bs = new BootstrapServer({ transport: bsT, timers: this.timers, random: this.random, log, config: bsCfg, onEvent: (e) => this.bsEvents.push(e) });
      this.closers.push(() => this.bs!.close());
    }
    this.clientTransport = await bind(host(1), 56830);
    this.client = this.newClient();
    return this;
  }

  defaultBootstrapConfig(): BootstrapConfig {
    return { format: 'tlv', endpoints: { [this.endpointName]: { servers: this.serverUris.map((uri, i) => ({ uri, ssid: 101 + i, lifetime: 300 })) } } };
  }

  newClient(extra: Partial<ClientOptions> = {}): LwM2MClient {
    return new LwM2MClient({
      endpointName: this.endpointName, transport: this.clientTransport, timers: this.timers, random: this.random,
      log: this.o.log ?? silentLogger, wallClock: { epochSeconds: () => Math.floor(this.timers.now() / 1000) },
      factory: { bootstrap: { uri: this.bsUri } }, persistence: this.o.persistence,
      device: { manufacturer: 'Test', modelNumber: 'rig', serialNumber: 'S1', firmwareVersion: '1.0' },
      onEvent: (e) => this.events.push(e),
      ...this.o.client, ...extra,
    });
  }

  /** Replace the client (same socket), e.g. to "reboot" it. */
  async reboot(extra: Partial<ClientOptions> = {}): Promise<LwM2MClient> {
    await this.settle(this.client.stop());
    const t = this.clientTransport;
    // The transport belongs to us, not the client: release it and bind again.
    t.close();
    this.rebindPort = t.port;
    this.clientTransport = await this.bind(t.address, t.port);
    this.client = this.newClient(extra);
    return this.client;
  }

  setManualHandler(h: RequestHandler): void { this.manualBs!.onRequest = h; }

  /** Wait (virtual or real time) until pred holds; false on timeout. */
  until(pred: () => boolean, maxMs = 5000): Promise<boolean> {
    // Virtual time is cheap: on a lossy network allow for the retransmissions.
    return waitUntil(this.clock, pred, this.clock && this.o.loss ? Math.max(maxMs, 3_600_000) : maxMs);
  }

  advance(ms: number): Promise<void> { return letTimePass(this.clock, ms); }

  has(type: ClientEvent['type']): boolean { return this.events.some((e) => e.type === type); }
  count(type: ClientEvent['type']): number { return this.events.filter((e) => e.type === type).length; }

  /** Requests on the wire, as "METHOD /path?query" strings in order, optionally between two endpoints. */
  requests(filter?: (w: WireRecord) => boolean): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const w of this.wire) {
      const m = w.message;
      if (m.code < 1 || m.code > 7) continue;
      const key = `${w.from}>${w.to}#${m.messageId}`;
      if (seen.has(key)) continue; // a retransmission
      seen.add(key);
      if (filter && !filter(w)) continue;
      const q = getUriQuery(m);
      out.push(`${methodName(m.code)} /${getUriPath(m).join('/')}${q.length ? '?' + q.join('&') : ''}`);
    }
    return out;
  }

  /** Await a promise whose progress needs (virtual) time to pass; undefined when it fails. */
  settle<T>(p: Promise<T>, maxMs = 400_000): Promise<T | undefined> {
    return settled(this.clock, p, maxMs).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.settle(this.client.stop());
    this.clientTransport.close();
    for (const c of this.closers.reverse()) c();
  }
}

export async function openRig(o: RigOptions): Promise<Rig> {
  return new Rig(o).open();
}

// A registered client and the project's own LwM2M Server(s), either over
// real loopback UDP (node timers) or over the in-memory network in virtual
// time (timing tests). Factory server accounts skip bootstrap.
import { decodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { getObserve } from '../../firmware/coap/options';
import { LwM2MClient, type ClientEvent, type ClientOptions } from '../../firmware/lwm2m/client';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import type { DatagramTransport, Random, Timers } from '../../firmware/platform/ports';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer, type OperationResult, type ServerEvent } from '../../host/lwm2m-server';
import type { ResourceRecord } from '../../firmware/formats';
import { formatPath, parsePath } from '../../firmware/model/path';
import type { Path, Value } from '../../firmware/model/types';
import { MemoryNetwork } from '../support/memory-network';
import { SeededRandom } from '../support/seeded-random';
import { letTimePass, settled, waitUntil } from '../support/test-time';
import { VirtualClock } from '../support/virtual-clock';

export interface HarnessOptions {
  kind: 'memory' | 'udp';
  servers?: number;
  /** Per server: Default Minimum/Maximum Period (/1/x/2, /1/x/3) in the factory Server Account. */
  defaults?: Array<{ pmin?: number; pmax?: number }>;
  client?: Partial<ClientOptions>;
}

/** A datagram seen on the wire (memory network only). */
export interface Wire { at: number; from: string; to: string; m: CoapMessage }

export class Harness {
  clock?: VirtualClock;
  net?: MemoryNetwork;
  timers!: Timers;
  random!: Random;
  servers: LwM2MServer[] = [];
  serverEvents: ServerEvent[][] = [];
  serverAddr: string[] = [];
  client!: LwM2MClient;
  clientAddr = '';
  readonly events: ClientEvent[] = [];
  readonly wire: Wire[] = [];
  readonly ep = 'dm-node';
  rebooted = 0;
  /** The endpoints do not own their transports: closed here. */
  private readonly transports: DatagramTransport[] = [];
  private bind!: (address: string, port: number) => Promise<DatagramTransport & { address: string; port: number }>;
  private uris: string[] = [];

  constructor(readonly o: HarnessOptions) {}

  async open(): Promise<this> {
    let bind: (address: string, port: number) => Promise<DatagramTransport & { address: string; port: number }>;
    if (this.o.kind === 'memory') {
      const clock = new VirtualClock(1_000_000);
      this.clock = clock; this.timers = clock; this.random = new SeededRandom(11);
      this.net = new MemoryNetwork({ clock, random: new SeededRandom(12), delay: [1, 3] });
      this.net.onSend = (d) => { const r = decodeMessage(d.data); if (r.ok) this.wire.push({ at: d.at, from: d.from, to: d.to, m: r.message }); };
      bind = async (a, p) => this.net!.bind(a, p);
    } else {
      this.timers = nodeTimers; this.random = nodeRandom;
      bind = async () => openUdp({ address: '127.0.0.1', port: 0 });
    }
    const plain = bind;
    bind = async (a, p) => { const t = await plain(a, p); this.transports.push(t); return t; };
    const n = this.o.servers ?? 1;
    const uris: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = await bind(`127.0.0.${3 + i}`, 5683);
      const events: ServerEvent[] = [];
      this.serverEvents.push(events);
      this.servers.push(new LwM2MServer({ transport: t, timers: this.timers, random: this.random, log: silentLogger, onEvent: (e) => events.push(e) }));
      uris.push(`coap://${t.address}:${t.port}`);
      this.serverAddr.push(`${t.address}/${t.port}`);
    }
    this.bind = bind; this.uris = uris;
    await this.newClient(56830);
    const ok = await this.until(() => this.events.filter((e) => e.type === 'registered').length >= n, 10_000);
    if (!ok) throw new Error('client did not register');
    // Let our 2.01 reach the client before the first DM request.
    await this.advance(20);
    return this;
  }

  private async newClient(port: number): Promise<void> {
    const ct = await this.bind('127.0.0.1', port);
    this.clientAddr = `${ct.address}/${ct.port}`;
    this.client = new LwM2MClient({
      endpointName: this.ep, transport: ct, timers: this.timers, random: this.random, log: silentLogger,
      wallClock: { epochSeconds: () => Math.floor(this.timers.now() / 1000) },
      factory: {
        servers: this.uris.map((uri, i) => ({
          uri, ssid: 101 + i, lifetime: 3000, defaultMinPeriod: this.o.defaults?.[i]?.pmin, defaultMaxPeriod: this.o.defaults?.[i]?.pmax,
        })),
      },
      device: {
        manufacturer: 'xs-lwm2m', modelNumber: 'dm-test', serialNumber: 'S-1', firmwareVersion: '1.2.3', powerSources: [1, 5],
        reboot: () => { this.rebooted++; },
      },
      onEvent: (e) => this.events.push(e),
      ...this.o.client,
    });
    this.client.start();
  }

  /**
   * What a reboot does to the peers: the old client goes silent at once (its
   * endpoint is closed before it stops, so no De-register leaves it), and a
   * fresh client with the same factory configuration starts on a new port.
   * Resolves when the new client has registered.
   */
  async powerCycle(): Promise<void> {
    const old = this.client;
    const before = this.events.filter((e) => e.type === 'registered').length;
    old.endpoint.close();
    await this.op(old.stop().catch(() => {}));
    await this.newClient(56831);
    const ok = await this.until(() => this.events.filter((e) => e.type === 'registered').length > before, 10_000);
    if (!ok) throw new Error('client did not register after the power cycle');
    await this.advance(20);
  }

  get server(): LwM2MServer { return this.servers[0]; }

  until(pred: () => boolean, maxMs = 5000): Promise<boolean> { return waitUntil(this.clock, pred, maxMs); }

  advance(ms: number): Promise<void> { return letTimePass(this.clock, ms); }

  /** Await a server operation; in virtual time the clock runs until it settles. */
  op<T>(p: Promise<T>, maxMs = 300_000): Promise<T> { return settled(this.clock, p, maxMs); }

  /** Notifications (2.05 with Observe) from the client, as seen on the wire. */
  notifications(): Wire[] {
    // Not the first response (an ACK); only what the client sent on its own.
    return this.wire.filter((w) => w.from === this.clientAddr && w.m.code === 69 && w.m.type !== 2 && getObserve(w.m) !== undefined);
  }

  async close(): Promise<void> {
    await this.op(this.client.stop().catch(() => {}));
    for (const s of this.servers) s.close();
    for (const t of this.transports) t.close();
  }
}

export async function openHarness(o: HarnessOptions): Promise<Harness> {
  return new Harness(o).open();
}

// ------------------------------------------------ helpers for the dm tests

export const P = (s: string): Path => parsePath(s)!;
export const rec = (p: string, value: Value): ResourceRecord => ({ path: P(p), value });

/** path → value of the records (of a result, or given), e.g. { '/3/0/0': 'xs-lwm2m' }. */
export function values(r: OperationResult | ResourceRecord[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const x of (Array.isArray(r) ? r : r?.records) ?? []) out[formatPath(x.path)] = x.value;
  return out;
}

/** Links as 'target;name=value;…' strings, in the order the client sent them. */
export function linkList(links: Array<{ target: string; attrs: Array<[string, string | undefined]> }> | undefined): string[] {
  return (links ?? []).map((l) => [l.target, ...l.attrs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`))].join(';'));
}

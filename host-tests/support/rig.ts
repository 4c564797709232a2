// The one test rig of the LwM2M flow and Device Management tests: a client,
// the project's Bootstrap-Server (or a hand-driven endpoint in its place) and
// LwM2M Servers, over the in-memory network in virtual time ('memory',
// 'lossy') or over real loopback UDP ('udp'). Every datagram is recorded.
// Waits and operations throw when they do not complete, with what was awaited.
import type { ObjectDef } from '../../firmware/model/types';
import type { Peer, RequestHandler } from '../../firmware/coap/api';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { decodeMessage, methodName, type CoapMessage } from '../../firmware/coap/message';
import { getObserve, getUriPath, getUriQuery } from '../../firmware/coap/options';
import { assembleDevice } from '../../firmware/lwm2m/engine/device-assembly';
import { LwM2MClient, type ClientEvent, type ClientOptions, type ConfigPersistence } from '../../firmware/lwm2m/engine/client';
import type { DeviceInfo } from '../../firmware/lwm2m/objects/device-object';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import type { DatagramTransport, Logger, Random, Timers } from '../../firmware/platform/ports';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer, type BootstrapConfig, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { MemoryNetwork } from './memory-network';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { toHex } from '../../firmware/util/hex';
import { utf8Encode } from '../../firmware/util/utf8';
import { PskStore } from '../../host/psk-store';
import { SeededRandom } from './seeded-random';
import { letTimePass, settled, waitUntil } from './test-time';
import { VirtualClock } from './virtual-clock';

/** 'lossy' is the in-memory network with 30 % loss and 10 % duplication. */
export type RigKind = 'memory' | 'lossy' | 'udp';

export interface WireRecord {
  at: number;
  from: string;
  to: string;
  message: CoapMessage;
}

/** Where the virtual clock starts (ms): far enough from 0 that "before the start" is representable. */
export const RIG_EPOCH_MS = 1_000_000;
/** The client's port on the in-memory network; a power cycle moves it to the next one. */
export const CLIENT_PORT = 56830;
/** First Short Server ID the rig hands out; server n gets FIRST_SSID + n. */
export const FIRST_SSID = 101;
/** Lifetime of the rig's Server Accounts, seconds. */
export const RIG_LIFETIME = 300;
/** With `coaps`: the client's PSK at the Bootstrap-Server, and at LwM2M Server n (identity: the endpoint name). */
export const RIG_BS_PSK_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i);
export function rigServerPskKey(n: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, i) => 0x10 * (n + 1) + i);
}

export interface RigOptions {
  kind: RigKind;
  seed?: number;
  /** Seed of the in-memory network's loss, duplication and delay (default seed + 1000). */
  netSeed?: number;
  /** One-way delay range of the in-memory network, ms (default [1, 5]). */
  delay?: [number, number];
  loss?: number;
  duplicate?: number;
  endpointName?: string;
  /**
   * Where the client's configuration comes from: our Bootstrap-Server with this
   * config (default: one account per LwM2M Server), a bare endpoint the test
   * drives ('manual'), nothing ('none'), or factory Server Accounts and no
   * bootstrap at all ('factory').
   */
  bootstrap?: BootstrapConfig | 'manual' | 'none' | 'factory';
  /** Number of LwM2M Servers to start (default 1). */
  servers?: number;
  /** With 'factory': per server, Default Minimum/Maximum Period (/1/x/2, /1/x/3). */
  defaults?: Array<{ pmin?: number; pmax?: number }>;
  /** Device Object identity (default: the rig's own); may use the rig (a reboot counter). */
  device?: (rig: Rig) => DeviceInfo;
  client?: Partial<ClientOptions>;
  persistence?: ConfigPersistence;
  log?: Logger;
  /** Start the client and wait until every server registered it. */
  registered?: boolean;
  /** Bootstrap and register over coaps (DTLS with PSK): the servers listen on coaps only. */
  coaps?: boolean;
  /** The LwM2M Servers' extra object definitions (a vendor object's, as --models gives them). */
  models?: ReadonlyMap<number, ObjectDef>;
  /** The LwM2M Servers' Queue Mode settings (LwM2MServerOptions.queueMode). */
  serverQueue?: { awakeMs?: number; maxQueued?: number; expiryMs?: number };
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
  /** `address/port` of each server, as the wire records name them. */
  serverAddr: string[] = [];
  readonly events: ClientEvent[] = [];
  readonly bsEvents: BootstrapEvent[] = [];
  readonly serverEvents: ServerEvent[][] = [];
  readonly wire: WireRecord[] = [];
  /** Executions of Reboot (/3/0/4) when the device identity counts them. */
  rebooted = 0;
  private closers: Array<() => void> = [];
  private bind!: (address: string, port: number) => Promise<DatagramTransport & { port: number; address: string }>;
  private rebindPort = -1;

  constructor(readonly o: RigOptions) {}

  get endpointName(): string {
    return this.o.endpointName ?? 'node-1';
  }
  /** The first LwM2M Server. */
  get server(): LwM2MServer {
    return this.servers[0]!;
  }
  /** `address/port` of the client, as the wire records name it. */
  get clientAddr(): string {
    return `${this.clientTransport.address}/${this.clientTransport.port}`;
  }

  async open(): Promise<this> {
    const log = this.o.log ?? silentLogger;
    if (this.o.kind === 'lossy') {
      this.o.loss ??= 0.3;
      this.o.duplicate ??= 0.1;
    }
    if (this.o.kind !== 'udp') {
      const clock = new VirtualClock(RIG_EPOCH_MS);
      const net = new MemoryNetwork({
        clock,
        random: new SeededRandom(this.o.netSeed ?? (this.o.seed ?? 7) + 1000),
        loss: this.o.loss ?? 0,
        duplicate: this.o.duplicate ?? 0,
        delay: this.o.delay ?? [1, 5],
      });
      this.clock = clock;
      this.net = net;
      this.timers = clock;
      this.random = new SeededRandom(this.o.seed ?? 7);
      net.onSend = (d) => this.record(d.at, d.from, d.to, d.data);
      this.bind = async (address, port) => net.bind(address, port);
    } else {
      this.timers = nodeTimers;
      this.random = nodeRandom;
      this.bind = async (_address, port) => {
        // Fixed ports are for the in-memory network; on UDP only a rebind reuses one.
        const t = await openUdp({ address: '127.0.0.1', port: port === this.rebindPort ? port : 0 });
        const send = t.send.bind(t);
        t.send = (data, address, p) => {
          this.record(Date.now(), `127.0.0.1/${t.port}`, `${address}/${p}`, data);
          send(data, address, p);
        };
        return t;
      };
    }
    // Addresses on the in-memory network are loopback ones, like the UDP rig's.
    const host = (n: number) => (this.o.kind !== 'udp' ? `127.0.0.${n}` : '127.0.0.1');
    const coaps = this.o.coaps === true;
    const bsT = await this.bind(host(2), 5685);
    const bsSecureT = coaps ? await this.bind(host(2), 5686) : undefined;
    const bsListen = bsSecureT ?? bsT;
    this.bsPeer = { address: bsListen.address, port: bsListen.port };
    this.bsUri = `${coaps ? 'coaps' : 'coap'}://${bsListen.address}:${bsListen.port}`;
    for (let i = 0; i < (this.o.servers ?? 1); i++) {
      const t = await this.bind(host(3 + i), 5683);
      const secureT = coaps ? await this.bind(host(3 + i), 5684) : undefined;
      const listen = secureT ?? t;
      this.serverUris.push(`${coaps ? 'coaps' : 'coap'}://${listen.address}:${listen.port}`);
      this.serverAddr.push(`${listen.address}/${listen.port}`);
      const events: ServerEvent[] = [];
      this.serverEvents.push(events);
      const psk = new PskStore();
      if (coaps) psk.set(this.endpointName, this.endpointName, rigServerPskKey(i));
      const s = new LwM2MServer({
        transport: t,
        timers: this.timers,
        random: this.random,
        log,
        onEvent: (e) => events.push(e),
        psk,
        models: this.o.models,
        queueMode: this.o.serverQueue,
        coaps: secureT ? { transport: secureT, crypto: nodeCrypto } : undefined,
      });
      this.servers.push(s);
      this.closers.push(() => s.close());
    }
    const bsCfg = this.o.bootstrap ?? this.defaultBootstrapConfig();
    if (bsCfg === 'manual') {
      this.manualBs = new CoapEndpoint({ transport: bsT, timers: this.timers, random: this.random, log });
      this.closers.push(() => {
        this.manualBs!.close();
        bsT.close();
      });
    } else if (bsCfg === 'none' || bsCfg === 'factory') {
      bsT.close();
      bsSecureT?.close();
    } else {
      this.bs = new BootstrapServer({
        transport: bsT,
        timers: this.timers,
        random: this.random,
        log,
        config: bsCfg,
        onEvent: (e) => this.bsEvents.push(e),
        coaps: bsSecureT ? { transport: bsSecureT, crypto: nodeCrypto } : undefined,
      });
      this.closers.push(() => this.bs!.close());
    }
    this.clientTransport = await this.bind(host(1), CLIENT_PORT);
    this.client = this.newClient();
    if (this.o.registered) await this.startRegistered();
    return this;
  }

  defaultBootstrapConfig(): BootstrapConfig {
    const ep = this.endpointName;
    if (!this.o.coaps)
      return {
        format: 'tlv',
        endpoints: { [ep]: { servers: this.serverUris.map((uri, i) => ({ uri, ssid: FIRST_SSID + i, lifetime: RIG_LIFETIME })) } },
      };
    return {
      format: 'tlv',
      endpoints: {
        [ep]: {
          psk: { identity: ep, keyHex: toHex(RIG_BS_PSK_KEY) },
          servers: this.serverUris.map((uri, i) => ({
            uri,
            ssid: FIRST_SSID + i,
            lifetime: RIG_LIFETIME,
            securityMode: 'psk' as const,
            pskIdentity: ep,
            pskKeyHex: toHex(rigServerPskKey(i)),
          })),
        },
      },
    };
  }

  newClient(extra: Partial<ClientOptions> = {}): LwM2MClient {
    const identity = utf8Encode(this.endpointName);
    const factory =
      this.o.bootstrap === 'factory'
        ? {
            servers: this.serverUris.map((uri, i) => ({
              uri,
              ssid: FIRST_SSID + i,
              lifetime: 3000,
              defaultMinPeriod: this.o.defaults?.[i]?.pmin,
              defaultMaxPeriod: this.o.defaults?.[i]?.pmax,
              psk: this.o.coaps ? { identity, key: rigServerPskKey(i) } : undefined,
            })),
          }
        : { bootstrap: { uri: this.bsUri, psk: this.o.coaps ? { identity, key: RIG_BS_PSK_KEY } : undefined } };
    // A test's options may replace any port (its own transport, persistence, slot …): they go in as ports.
    const { transport, timers, random, log, wallClock, persistence, dtls, firmware, resolveHost, tlv, cbor, ...options } = {
      ...this.o.client,
      ...extra,
    };
    const crypto = dtls?.crypto ?? (this.o.coaps ? nodeCrypto : undefined);
    return assembleDevice(
      {
        transport: transport ?? this.clientTransport,
        timers: timers ?? this.timers,
        random: random ?? this.random,
        log: log ?? this.o.log ?? silentLogger,
        wallClock: wallClock ?? { epochSeconds: () => Math.floor(this.timers.now() / 1000) },
        store: persistence ?? this.o.persistence,
        dtlsCrypto: crypto,
        firmware,
        resolveHost,
        ...(tlv === undefined ? {} : { tlv }),
        ...(cbor === undefined ? {} : { cbor }),
      },
      {
        endpointName: this.endpointName,
        factory,
        device: this.o.device?.(this) ?? { manufacturer: 'Test', modelNumber: 'rig', serialNumber: 'S1', firmwareVersion: '1.0' },
        onEvent: (e) => this.events.push(e),
        ...options,
        ...(dtls === undefined ? {} : { dtls }),
      },
    ).client;
  }

  /** Replace the client (same socket, after a clean stop), e.g. to "reboot" it. */
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

  /**
   * What a power cut does to the peers: the old client goes silent at once (no
   * De-register leaves it), and a fresh client with the same configuration
   * starts on the next port. Resolves when it has registered everywhere.
   */
  async powerCycle(): Promise<void> {
    const old = this.client;
    old.endpoint.close();
    await this.settle(old.stop());
    const t = this.clientTransport;
    this.clientTransport = await this.bind(t.address, t.port + 1);
    this.closers.push(() => t.close());
    this.client = this.newClient();
    await this.startRegistered();
  }

  /**
   * A deep sleep of the client's device (Queue Mode): the client stops without a word (suspend: no De-register, no
   * close_notify), its socket closes, `ms` pass, and a fresh client on the same port starts, as the device boots
   * again (its retained memory and a new mount of its store come with `extra`, or from the rig's options).
   */
  async deepSleep(ms: number, extra: Partial<ClientOptions> = {}): Promise<LwM2MClient> {
    this.client.suspend();
    const t = this.clientTransport;
    t.close();
    await this.advance(ms);
    this.rebindPort = t.port;
    this.clientTransport = await this.bind(t.address, t.port);
    this.client = this.newClient(extra);
    this.client.start();
    return this.client;
  }

  setManualHandler(h: RequestHandler): void {
    this.manualBs!.onRequest = h;
  }

  /** Wait (virtual or real time) until pred holds; false on timeout. */
  until(pred: () => boolean, maxMs = 5000): Promise<boolean> {
    // Virtual time is cheap: on a lossy network allow for the retransmissions.
    return waitUntil(this.clock, pred, this.clock && this.o.loss ? Math.max(maxMs, 3_600_000) : maxMs);
  }

  /** Like until(), but throws `what` did not happen. */
  async expect(pred: () => boolean, what: string, maxMs = 5000): Promise<void> {
    if (!(await this.until(pred, maxMs))) throw new Error(`${what} did not happen within ${maxMs} ms (client state ${this.client.state})`);
  }

  advance(ms: number): Promise<void> {
    return letTimePass(this.clock, ms);
  }

  has(type: ClientEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }
  count(type: ClientEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }

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

  /** Notifications (2.05 with Observe) the client sent on its own (not the first response, an ACK). */
  notifications(): WireRecord[] {
    return this.wire.filter(
      (w) => w.from === this.clientAddr && w.message.code === 69 && w.message.type !== 2 && getObserve(w.message) !== undefined,
    );
  }

  /** Awaits a promise whose progress needs (virtual) time to pass; throws its failure, or that it did not settle. */
  settle<T>(p: Promise<T>, maxMs = 400_000): Promise<T> {
    return settled(this.clock, p, maxMs);
  }

  async close(): Promise<void> {
    await this.settle(this.client.stop()).catch(() => undefined);
    this.clientTransport.close();
    for (const c of this.closers.reverse()) c();
  }

  private async startRegistered(): Promise<void> {
    const before = this.count('registered');
    this.client.start();
    await this.expect(() => this.count('registered') >= before + this.servers.length, 'registration with every server', 10_000);
    // Let the servers' 2.01 reach the client before the first DM request.
    await this.advance(20);
  }

  private record(at: number, from: string, to: string, data: Uint8Array): void {
    const m = decodeMessage(data);
    if (m.ok) this.wire.push({ at, from, to, message: m.message });
  }
}

export async function openRig(o: RigOptions): Promise<Rig> {
  return new Rig(o).open();
}

// Shared pieces of the DTLS tests: the crypto ports under test, and a rig of
// our client and server DtlsTransports over the in-memory network in
// virtual time.
import type { DtlsCrypto } from '../../firmware/dtls/crypto';
import { nodeCrypto, nodeCryptoBlockOnly } from '../../firmware/platform/node/crypto';
import { xsHostCrypto } from '../xs-harness/port/crypto';

/** node:crypto (native CCM), node:crypto's block cipher under the core's CCM, and the noble port XS uses. */
export const PORTS: ReadonlyArray<{ name: string; crypto: DtlsCrypto }> = [
  { name: 'node', crypto: nodeCrypto },
  { name: 'node block + core CCM', crypto: nodeCryptoBlockOnly },
  { name: 'noble (xs-host)', crypto: xsHostCrypto },
];

import { DtlsTransport, type DtlsSessionEnd, type DtlsSessionInfo, type DtlsTransportOptions } from '../../firmware/dtls/transport';
import { MemoryNetwork, type LinkConditions } from '../support/memory-network';
import { VirtualClock } from '../support/virtual-clock';
import { SeededRandom } from '../support/seeded-random';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import type { DatagramTransport, Logger } from '../../firmware/platform/ports';
import { RebindingSocket } from './nat';

export const SERVER = { address: '10.0.0.1', port: 5684 };
export const CLIENT = { address: '10.0.0.2', port: 40001 };
export const IDENTITY = 'node-1';
export const KEY = Uint8Array.from([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35]);

/** Events and data one side saw. */
export class Observed {
  readonly done: DtlsSessionInfo[] = [];
  readonly failed: DtlsSessionEnd[] = [];
  readonly closed: DtlsSessionEnd[] = [];
  readonly data: Array<{ text: string; address: string; port: number }> = [];
  readonly logs: string[] = [];

  attach(t: DtlsTransport): void {
    t.onHandshakeDone = (i) => this.done.push(i);
    t.onHandshakeFailed = (e) => this.failed.push(e);
    t.onSessionClosed = (e) => this.closed.push(e);
    t.onReceive = (d, address, port) => this.data.push({ text: utf8Decode(d), address, port });
  }

  readonly log: Logger = {
    error: (m) => this.logs.push(`E ${m}`),
    warn: (m) => this.logs.push(`W ${m}`),
    info: (m) => this.logs.push(`I ${m}`),
    debug: (m) => this.logs.push(`D ${m}`),
  };
}

export interface RigOptions extends LinkConditions {
  crypto?: DtlsCrypto;
  seed?: number;
  mtu?: number;
  /** Key the client presents (default KEY). */
  clientKey?: Uint8Array;
  clientIdentity?: string;
  /** Identities the server knows (default IDENTITY → KEY). */
  serverKeys?: Map<string, Uint8Array>;
  client?: Partial<DtlsTransportOptions> & {
    cipherSuites?: number[];
    connectionId?: boolean;
    connectionIdLength?: number;
    sessionLifetimeMs?: number;
    requireExtendedMasterSecret?: boolean;
  };
  server?: Partial<DtlsTransportOptions> & {
    cipherSuites?: number[];
    sessionCacheSize?: number;
    identityHint?: string;
    connectionId?: boolean;
    connectionIdLength?: number;
    sessionLifetimeMs?: number;
    requireExtendedMasterSecret?: boolean;
  };
  /** Drop the n-th (0-based) datagram a side sends when this says so (targeted loss). */
  dropFromClient?: (data: Uint8Array, n: number) => boolean;
  dropFromServer?: (data: Uint8Array, n: number) => boolean;
}

/** The network transport of one side, with an optional targeted drop; `inject` delivers raw bytes as if from a peer. */
export interface RawSide extends DatagramTransport {
  inject(data: Uint8Array, from: { address: string; port: number }): void;
}

function filtered(inner: DatagramTransport, drop?: (data: Uint8Array, n: number) => boolean): RawSide {
  let n = 0;
  const side: RawSide = {
    onReceive: null,
    send(data, address, port) {
      if (!drop?.(data, n++)) inner.send(data, address, port);
    },
    close() {
      inner.close();
    },
    inject(data, from) {
      side.onReceive?.(data, from.address, from.port);
    },
  };
  inner.onReceive = (d, a, p) => side.onReceive?.(d, a, p);
  return side;
}

export interface Rig {
  clock: VirtualClock;
  net: MemoryNetwork;
  random: SeededRandom;
  client: DtlsTransport;
  server: DtlsTransport;
  c: Observed;
  s: Observed;
  /** Hints the client's psk callback was given. */
  hints: Array<string | null>;
  clientUdp: RawSide;
  serverUdp: RawSide;
  /** The client's socket under clientUdp: rebind(port) is a NAT rebinding (the client keeps its transport). */
  clientSocket: RebindingSocket;
}

export function makeRig(o: RigOptions = {}): Rig {
  const clock = new VirtualClock();
  const random = new SeededRandom(o.seed ?? 7);
  const net = new MemoryNetwork({ clock, random, loss: o.loss, duplicate: o.duplicate, delay: o.delay, reorder: o.reorder });
  const crypto = o.crypto ?? nodeCrypto;
  const c = new Observed();
  const s = new Observed();
  const hints: Array<string | null> = [];
  const keys = o.serverKeys ?? new Map([[IDENTITY, KEY]]);
  const {
    cipherSuites: serverSuites,
    sessionCacheSize,
    identityHint,
    connectionId: serverCid,
    connectionIdLength: serverCidLength,
    sessionLifetimeMs: serverLifetime,
    requireExtendedMasterSecret: serverEms,
    ...serverRest
  } = o.server ?? {};
  const {
    cipherSuites: clientSuites,
    connectionId: clientCid,
    connectionIdLength: clientCidLength,
    sessionLifetimeMs: clientLifetime,
    requireExtendedMasterSecret: clientEms,
    ...clientRest
  } = o.client ?? {};
  const serverUdp = filtered(net.bind(SERVER.address, SERVER.port), o.dropFromServer);
  const clientSocket = new RebindingSocket(net, CLIENT.address, CLIENT.port);
  const clientUdp = filtered(clientSocket, o.dropFromClient);
  const server = new DtlsTransport({
    transport: serverUdp,
    timers: clock,
    random,
    crypto,
    log: s.log,
    mtu: o.mtu,
    server: {
      pskKey: (identity) => keys.get(utf8Decode(identity)) ?? null,
      cipherSuites: serverSuites,
      sessionCacheSize,
      identityHint,
      connectionId: serverCid,
      connectionIdLength: serverCidLength,
      sessionLifetimeMs: serverLifetime,
      requireExtendedMasterSecret: serverEms,
    },
    ...serverRest,
  });
  const client = new DtlsTransport({
    transport: clientUdp,
    timers: clock,
    random,
    crypto,
    log: c.log,
    mtu: o.mtu,
    client: {
      psk: ({ hint }) => {
        hints.push(hint ? utf8Decode(hint) : null);
        return { identity: o.clientIdentity ?? IDENTITY, key: o.clientKey ?? KEY };
      },
      cipherSuites: clientSuites,
      connectionId: clientCid,
      connectionIdLength: clientCidLength,
      sessionLifetimeMs: clientLifetime,
      requireExtendedMasterSecret: clientEms,
    },
    ...clientRest,
  });
  c.attach(client);
  s.attach(server);
  return { clock, net, random, client, server, c, s, hints, clientUdp, serverUdp, clientSocket };
}

/** Runs a rig's handshake to completion (fails the test otherwise). */
export async function established(rig: Rig, maxMs = 10_000): Promise<void> {
  rig.client.connect(SERVER.address, SERVER.port);
  const ok = await rig.clock.runUntil(() => rig.c.done.length > 0 && rig.s.done.length > 0, maxMs);
  if (!ok)
    throw new Error(`handshake did not complete: client ${JSON.stringify(rig.client.stats)} server ${JSON.stringify(rig.server.stats)}`);
}

export function sendText(t: DtlsTransport, text: string, to: { address: string; port: number }): void {
  t.send(utf8Encode(text), to.address, to.port);
}

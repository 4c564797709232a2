// DtlsTransport: DTLS 1.2 with pre-shared keys (RFC 6347, RFC 4279, the
// RFC 7925 IoT profile as LwM2M 1.1 requires) as a DatagramTransport over
// another DatagramTransport, so the CoAP endpoint above does not know it is
// there (as the Moddable SDK's TLS socket wraps its TCP socket).
//
// One instance can play both roles: with `client` options, a send to a peer
// with no session starts a handshake (data waits in a bounded queue); with
// `server` options, a ClientHello is answered statelessly with a
// HelloVerifyRequest cookie, and only a ClientHello bearing a valid cookie
// allocates a session (RFC 6347 §4.2.1). Nothing a peer sends throws out of
// here: bad records are dropped and counted in `stats` (§4.1.2.7).
// Connection IDs (RFC 9146) are negotiated by default: a record with a CID
// finds its session by that CID, and a server session follows its client to
// a new address once a record from there proves itself (§6).
//
// One file: the association table, cookie exchange, CID routing and the
// handshake bounds all decide what one incoming datagram may cost.
// No secret (PSK, master secret, key block) is ever logged or put in an error.
//
// The one place sessions are looked up, created, bounded and ended, for
// both roles.
import type { DatagramTransport, Logger, Random, Timers } from '../platform/ports';
import { silentLogger } from '../platform/ports';
import type { DtlsCrypto } from './crypto';
import { newStats, type DtlsStats } from './stats';
import { AlertDescription, ContentType, DTLS_1_0, HandshakeType } from './constants';
import { bytesEqual } from './bytes';
import { isDtlsRecordVersion, parseRecords, encodeRecord, type DtlsRecord } from './record';
import { SUPPORTED_SUITES, suiteById } from './cipher-suite';
import { CookieJar } from './cookie';
import { DEFAULT_SESSION_LIFETIME_MS, SessionCache, madeWithKey, pskFingerprint, type ResumableSession } from './session-cache';
import {
  Connection,
  type ConnectionHost,
  type EstablishedSession,
  type KeptSession,
  type RetransmitPolicy,
  type SessionEnd,
} from './connection';
import { CidTable } from './connection-id';
import { ClientHandshake, type PskCredentials } from './client-handshake';
import { ServerHandshake } from './server-handshake';
import {
  decodeClientHello,
  encodeHandshakeFragment,
  encodeHelloVerifyRequest,
  parseHandshakeFragments,
  type ClientHello,
  type HandshakeFragment,
} from './handshake-messages';
import { toHex } from '../util/hex';
import { utf8Decode, utf8Encode } from '../util/utf8';

export type { PskCredentials } from './client-handshake';
export type { DtlsStats } from './stats';
export type { KeptSession, RetransmitPolicy } from './connection';

/**
 * What a client keeps of its DTLS state with one server across a deep sleep (lwm2m/queue-mode/sleep-state.ts): the session
 * for an abbreviated handshake (RFC 5246 §7.3), and, when the server gave us a Connection ID (RFC 9146), the
 * session itself, whose records go at once after the wake. Secret: never logged.
 */
export interface KeptDtls {
  resumable: {
    sessionId: Uint8Array;
    masterSecret: Uint8Array;
    cipherSuite: number;
    extendedMasterSecret: boolean;
    /** ms since its full handshake (its lifetime runs on across the sleep). */
    age: number;
  } | null;
  session: KeptSession | null;
}

/** Largest datagram we send by default: the IPv6 minimum MTU (1280) less IPv6 and UDP headers, rounded down. */
export const DEFAULT_MTU = 1200;
/** Smallest MTU accepted: a fragment must still carry handshake bytes after the record and handshake headers and the CBC overhead. */
export const MIN_MTU = 128;
/** RFC 6347 §4.2.4.1: 1 s initial, doubling, at most 60 s; we give up after 5 retransmissions (about 63 s). */
export const DEFAULT_RETRANSMIT: RetransmitPolicy = Object.freeze({ initialMs: 1000, maxMs: 60_000, maxRetransmits: 5 });
/**
 * The server role waits less for a client's next flight: 3 retransmissions, given up 15 s after its flight first went.
 * A client repeats its own flight on its timer (which makes us resend ours), so a live client loses nothing; a
 * half-open handshake, which holds a table slot, is gone in 15 s instead of 63 s.
 */
export const DEFAULT_SERVER_MAX_RETRANSMITS = 3;
/** Bound on associations (established or handshaking) per transport. */
export const DEFAULT_MAX_SESSIONS = 16;
/** Bound on associations still handshaking (a subset of the sessions). */
export const DEFAULT_MAX_HANDSHAKES = 8;
/**
 * Server role: handshakes pending at once from one IP address. A host past it gives up its own oldest pending
 * handshake, so one host (any number of ports, each with a valid cookie) never holds more than this many slots.
 */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 4;
/** Bound on application data queued per peer while its handshake runs. */
export const DEFAULT_MAX_QUEUED_DATAGRAMS = 8;
export const DEFAULT_MAX_QUEUED_BYTES = 4096;
/** Client role: servers whose session is kept for resumption. */
export const DEFAULT_RESUMABLE_SESSIONS = 8;
/** Server role: bound of the session cache (session_id → master secret). */
export const DEFAULT_SESSION_CACHE_SIZE = 32;
/** Server role: with the table full, an established session silent this long gives way to a new client. */
export const DEFAULT_STALE_AFTER_MS = 300_000;
/** Server role: bytes of the CID each client puts in its records to us (RFC 9146; random, unique among our sessions). */
export const DEFAULT_SERVER_CID_LENGTH = 6;

export interface DtlsPeer {
  address: string;
  port: number;
}

export interface DtlsClientOptions {
  /** The identity and key for a server (chosen by its address and port, and the psk_identity_hint it sent, if any); null refuses. */
  psk(peer: DtlsPeer & { hint: Uint8Array | null }): { identity: Uint8Array | string; key: Uint8Array } | null;
  /** Offered cipher suites, in order of preference; default CCM_8 then CBC_SHA256. */
  cipherSuites?: readonly number[];
  /** Servers whose session is kept for an abbreviated handshake later; 0 disables resumption. */
  resumableSessions?: number;
  /** Offer the connection_id extension (RFC 9146), default true: a server that takes it finds us after a NAT rebinding. */
  connectionId?: boolean;
  /** Bytes of the CID we ask servers to put in their records to us; 0 (default) asks for none (records to us stay as small as before). */
  connectionIdLength?: number;
  /** How long after its full handshake a session is still offered for resumption; default 24 h. */
  sessionLifetimeMs?: number;
  /** Fail a handshake with a server that does not use the extended master secret (RFC 7627; RFC 7925 §16). Default false. */
  requireExtendedMasterSecret?: boolean;
}

export interface DtlsServerOptions {
  /** The key of a PSK identity, or null for an unknown identity (the handshake then fails as with a wrong key: bad_record_mac). */
  pskKey(identity: Uint8Array, peer: DtlsPeer): Uint8Array | null;
  /** psk_identity_hint in ServerKeyExchange; none by default (RFC 4279 §2). */
  identityHint?: Uint8Array | string;
  /** Accepted cipher suites, in order of preference; default CCM_8 then CBC_SHA256. */
  cipherSuites?: readonly number[];
  /** Sessions kept for resumption; 0 issues no session_id. */
  sessionCacheSize?: number;
  /** How long after its full handshake a session may be resumed; default 24 h (RFC 5246 §F.1.4). */
  sessionLifetimeMs?: number;
  /** Refuse clients that do not offer the extended master secret (RFC 7627; RFC 7925 §16). Default false. */
  requireExtendedMasterSecret?: boolean;
  /** How long a HelloVerifyRequest cookie secret is used before a new one (the previous is still accepted); default 5 min. */
  cookieSecretLifetimeMs?: number;
  /** With the session table full, an established session idle this long is evicted for a new handshake. */
  staleAfterMs?: number;
  /** Answer a client's connection_id (RFC 9146), default true; false ignores it (records stay in the RFC 6347 format). */
  connectionId?: boolean;
  /** Bytes of the CID each client is given (default DEFAULT_SERVER_CID_LENGTH); 0 accepts CIDs but gives none. */
  connectionIdLength?: number;
}

export interface DtlsTransportOptions {
  /** The datagram transport underneath (UDP). DtlsTransport takes its onReceive and closes it on close(). */
  transport: DatagramTransport;
  timers: Timers;
  random: Random;
  crypto: DtlsCrypto;
  log?: Logger;
  client?: DtlsClientOptions;
  server?: DtlsServerOptions;
  /** Largest datagram sent (handshake flights are fragmented to fit); at least MIN_MTU. */
  mtu?: number;
  retransmit?: Partial<RetransmitPolicy>;
  maxSessions?: number;
  maxHandshakes?: number;
  /** Server role: pending handshakes per IP address (default DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, at most maxHandshakes). */
  maxHandshakesPerAddress?: number;
  maxQueuedDatagrams?: number;
  maxQueuedBytes?: number;
}

export interface DtlsSessionInfo extends DtlsPeer {
  role: 'client' | 'server';
  /** The PSK identity the session was made with (routes a client at the server, LwM2M Security /0/x/3). */
  identity: Uint8Array;
  cipherSuite: number;
  cipherSuiteName: string;
  resumed: boolean;
  /** RFC 9146 CIDs in hex when the hellos negotiated them: `receive` is in the peer's records to us, `send` in ours ('' for none). */
  connectionId: { receive: string; send: string } | null;
}

/** A server session followed its client to a new address (RFC 9146 §6). */
export interface DtlsPeerMove {
  from: DtlsPeer;
  to: DtlsPeer;
  identity: Uint8Array;
}

export interface DtlsSessionEnd extends DtlsPeer {
  role: 'client' | 'server';
  reason: SessionEnd['reason'];
  /** AlertDescription received (peer_alert) or sent (local_alert). */
  alert?: number;
  alertName?: string;
}

const ALERT_NAMES = Object.freeze(Object.fromEntries(Object.entries(AlertDescription).map(([k, v]) => [v, k])) as Record<number, string>);

function alertName(a: number | undefined): string | undefined {
  return a === undefined ? undefined : (ALERT_NAMES[a] ?? `alert ${a}`);
}

function asBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === 'string' ? utf8Encode(v) : v;
}

function peerKey(address: string, port: number): string {
  return `${address}/${port}`;
}

function suitesOrDefault(list: readonly number[] | undefined): number[] {
  const ids = list ?? SUPPORTED_SUITES.map((s) => s.id);
  for (const id of ids) if (!suiteById(id)) throw new RangeError(`dtls: unsupported cipher suite 0x${id.toString(16)}`);
  if (ids.length === 0) throw new RangeError('dtls: no cipher suite');
  return [...ids];
}

export class DtlsTransport implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  /** Plaintexts of the datagram being read, with their peer: (data, address, port) triples; at most its records. */
  private readonly inbox: Array<Uint8Array | string | number> = [];
  private receiving = false;
  /** The datagram being read (ConnectionHost.inbound), and the last one answered with a HelloVerifyRequest. */
  private readonly inbound = { serial: 0, bytes: 0 };
  private cookieSentFor = -1;
  /** A handshake completed (full or abbreviated). */
  onHandshakeDone: ((info: DtlsSessionInfo) => void) | null = null;
  /** A handshake ended without a session: timeout, an alert either way, or replaced by a newer ClientHello. */
  onHandshakeFailed: ((end: DtlsSessionEnd) => void) | null = null;
  /** An established session ended: close_notify either way, a fatal alert, replaced. */
  onSessionClosed: ((end: DtlsSessionEnd) => void) | null = null;
  /** A server session moved to its client's new address (a CID record from there authenticated, RFC 9146 §6). */
  onPeerAddressChanged: ((move: DtlsPeerMove) => void) | null = null;
  readonly stats: DtlsStats = newStats();

  private readonly below: DatagramTransport;
  private readonly log: Logger;
  private readonly host: ConnectionHost;
  private readonly connections = new Map<string, Connection>();
  private handshaking = 0;
  private readonly maxSessions: number;
  private readonly maxHandshakes: number;
  private readonly maxHandshakesPerAddress: number;
  private readonly clientSuites: number[];
  private readonly serverSuites: number[];
  private readonly resumable: SessionCache;
  private readonly sessionCache: SessionCache;
  private readonly cookies: CookieJar | null;
  private readonly identityHint: Uint8Array | null;
  /** The CIDs we issued, one length for all (the record header does not carry it); bounded by the session table. */
  private readonly cids: CidTable<Connection>;
  /** Client role: offer connection_id, with a CID of ours of this length. */
  private readonly clientCid: boolean;
  private readonly clientCidLength: number;
  private readonly serverCid: boolean;
  private closed = false;

  constructor(private readonly opts: DtlsTransportOptions) {
    if (!opts.client && !opts.server) throw new RangeError('dtls: give client or server options (or both)');
    const mtu = opts.mtu ?? DEFAULT_MTU;
    if (mtu < MIN_MTU) throw new RangeError(`dtls: mtu below ${MIN_MTU}`);
    this.below = opts.transport;
    this.log = opts.log ?? silentLogger;
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.maxHandshakes = opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
    this.maxHandshakesPerAddress = Math.min(opts.maxHandshakesPerAddress ?? DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, this.maxHandshakes);
    this.clientSuites = opts.client ? suitesOrDefault(opts.client.cipherSuites) : [];
    this.serverSuites = opts.server ? suitesOrDefault(opts.server.cipherSuites) : [];
    const now = (): number => opts.timers.now();
    this.resumable = new SessionCache(
      opts.client ? (opts.client.resumableSessions ?? DEFAULT_RESUMABLE_SESSIONS) : 0,
      opts.client?.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS,
      now,
    );
    this.sessionCache = new SessionCache(
      opts.server ? (opts.server.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE) : 0,
      opts.server?.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS,
      now,
    );
    this.cookies = opts.server ? new CookieJar(opts.crypto, opts.random, opts.timers, opts.server.cookieSecretLifetimeMs) : null;
    this.identityHint = opts.server?.identityHint !== undefined ? asBytes(opts.server.identityHint) : null;
    this.clientCid = opts.client?.connectionId !== false;
    this.clientCidLength = opts.client?.connectionIdLength ?? 0;
    this.serverCid = opts.server?.connectionId !== false;
    const serverCidLength = opts.server?.connectionIdLength ?? DEFAULT_SERVER_CID_LENGTH;
    if (opts.server && opts.client && this.clientCidLength > 0 && this.clientCidLength !== serverCidLength) {
      throw new RangeError("dtls: in both roles, the client's connectionIdLength is 0 or the server's");
    }
    this.cids = new CidTable(opts.server ? (this.serverCid ? serverCidLength : 0) : this.clientCidLength);
    if (opts.server && this.clientCidLength > 0 && !this.serverCid)
      throw new RangeError("dtls: a client CID needs the server role's CIDs on");
    const stats = this.stats;
    this.host = {
      crypto: opts.crypto,
      random: opts.random,
      timers: opts.timers,
      stats,
      mtu,
      retransmit: { ...DEFAULT_RETRANSMIT, ...opts.retransmit },
      serverRetransmit: { ...DEFAULT_RETRANSMIT, maxRetransmits: DEFAULT_SERVER_MAX_RETRANSMITS, ...opts.retransmit },
      maxQueuedDatagrams: opts.maxQueuedDatagrams ?? DEFAULT_MAX_QUEUED_DATAGRAMS,
      maxQueuedBytes: opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      inbound: this.inbound,
      sendDatagram: (conn, bytes) => this.transmit(bytes, conn.address, conn.port),
      deliver: (conn, data) => this.deliver(conn, data),
      established: (conn, s) => this.onEstablished(conn, s),
      ended: (conn, e) => this.onEnded(conn, e),
      peerMoved: (conn, address, port) => this.onPeerMoved(conn, address, port),
    };
    this.below.onReceive = (data, address, port) => this.receive(data, address, port);
  }

  // ---- DatagramTransport ----

  /** Application data to a peer: sent in one record when a session is up, else queued (bounded) while a client handshake runs. */
  send(data: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    let conn = this.connections.get(peerKey(address, port));
    if (!conn) {
      conn = this.opts.client ? (this.startClient(address, port) ?? undefined) : undefined;
      if (!conn) {
        this.stats.sendDrops++;
        return;
      }
    }
    conn.send(data);
  }

  /** Sends close_notify on every session, then closes the transport underneath. */
  close(): void {
    if (this.closed) return;
    for (const conn of [...this.connections.values()]) conn.close();
    this.closed = true;
    this.resumable.clear();
    this.sessionCache.clear();
    this.below.onReceive = null;
    this.below.close();
  }

  // ---- sessions ----

  /** Client role: starts the handshake with a server now (a send would start it too). False when the table is full. */
  connect(address: string, port: number): boolean {
    if (this.closed || !this.opts.client) return false;
    return this.connections.has(peerKey(address, port)) || this.startClient(address, port) !== null;
  }

  /** Ends one peer's session with close_notify (RFC 5246 §7.2.1). The client keeps the session for resumption. */
  closeSession(address: string, port: number): boolean {
    const conn = this.connections.get(peerKey(address, port));
    if (!conn) return false;
    conn.close();
    return true;
  }

  /**
   * Client role: what a deep sleep keeps of the state with a server (KeptDtls): the resumable session, and the session
   * itself when it carries a CID toward the server (without one, the server knows us by our address, which a sleep may
   * change: an abbreviated handshake is the safe way back). Null when there is nothing.
   */
  keep(address: string, port: number): KeptDtls | null {
    if (!this.opts.client) return null;
    const key = peerKey(address, port);
    const r = this.resumable.get(key);
    const conn = this.connections.get(key);
    const session = conn && conn.role === 'client' && conn.writeCid !== null ? conn.keep() : null;
    if (!r && !session) return null;
    const resumable = r
      ? {
          sessionId: r.sessionId.slice(),
          masterSecret: r.masterSecret.slice(),
          cipherSuite: r.cipherSuite,
          extendedMasterSecret: r.extendedMasterSecret,
          age: Math.max(0, this.opts.timers.now() - r.createdAt),
        }
      : null;
    return { resumable, session };
  }

  /**
   * Client role, after a deep sleep: the state keep() gave, for a server whose credentials are these (the session
   * was made with them: the caller checked the configuration is the one it slept with). `sleptMs`: how long the
   * device slept. The kept session is established at once; the resumable one waits for the next handshake.
   */
  resumeKept(address: string, port: number, kept: KeptDtls, credentials: { identity: Uint8Array; key: Uint8Array }, sleptMs: number): void {
    if (!this.opts.client || this.closed) return;
    const key = peerKey(address, port);
    const now = this.opts.timers.now();
    const r = kept.resumable;
    if (r && suiteById(r.cipherSuite)) {
      this.resumable.set(key, {
        sessionId: r.sessionId.slice(),
        masterSecret: r.masterSecret.slice(),
        cipherSuite: r.cipherSuite,
        extendedMasterSecret: r.extendedMasterSecret,
        identity: credentials.identity.slice(),
        pskCheck: pskFingerprint(this.opts.crypto, credentials.key),
        createdAt: now - r.age - sleptMs,
      });
    }
    const k = kept.session;
    const suite = k ? suiteById(k.cipherSuite) : undefined;
    if (!k || !suite || this.connections.has(key) || this.connections.size >= this.maxSessions) return;
    const conn = Connection.resumeKept(this.host, address, port, k, suite, credentials.identity);
    if (!conn) return;
    if (k.readCid !== null && !this.cids.claim(k.readCid, conn)) return;
    if (k.readCid !== null) conn.issuedCid = k.readCid.slice();
    this.connections.set(key, conn);
    this.stats.sessionsKept++;
    this.log.info(`dtls: client session with ${address}:${port} kept across the sleep (connection ID): no handshake`);
  }

  /** Every association and cached session forgotten without a word to the peers: the device deep-sleeps or loses power. */
  abandon(): void {
    for (const conn of [...this.connections.values()]) conn.drop('abandoned');
    this.resumable.clear();
    this.sessionCache.clear();
  }

  /** Client role: forgets the resumable session of a server (the next handshake is a full one). */
  forgetSession(address: string, port: number): void {
    this.resumable.forget(peerKey(address, port));
  }

  /** The PSK identity of the established session with a peer, or null. */
  identityOf(address: string, port: number): Uint8Array | null {
    const conn = this.connections.get(peerKey(address, port));
    return conn?.isEstablished && conn.identity ? conn.identity.slice() : null;
  }

  /** The established session with a peer, or null (also while its handshake runs). */
  sessionInfo(address: string, port: number): DtlsSessionInfo | null {
    const conn = this.connections.get(peerKey(address, port));
    return conn?.isEstablished ? this.info(conn, false) : null;
  }

  /** Associations in the table (established and handshaking), and those handshaking. */
  get sessionCount(): number {
    return this.connections.size;
  }
  get handshakeCount(): number {
    return this.handshaking;
  }
  /** The most any one association holds of what its peer sent unauthenticated (partial handshake messages, an early record). */
  get largestHandshakeBuffer(): number {
    let n = 0;
    for (const c of this.connections.values()) n = Math.max(n, c.handshakeBufferBytes);
    return n;
  }
  /** Bytes held for peers: reassembly buffers, queued application data, early records. */
  get pendingBytes(): number {
    let n = 0;
    for (const c of this.connections.values()) n += c.pendingBytes;
    return n;
  }

  // ---- internals ----

  private transmit(bytes: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    this.stats.datagramsOut++;
    this.below.send(bytes, address, port);
  }

  private receive(data: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    const s = this.stats;
    s.datagramsIn++;
    this.inbound.serial++;
    this.inbound.bytes = data.length;
    this.receiving = true;
    try {
      const { records, reject } = parseRecords(data, this.cids.length);
      if (reject === 'bad_version') s.badVersion++;
      else if (reject !== null) s.badRecords++;
      const key = peerKey(address, port);
      const from = { address, port };
      let cidOwner: Connection | undefined;
      for (const rec of records) {
        s.recordsIn++;
        if (rec.cid !== null) {
          // RFC 9146 §6: the CID, not the address, names the session; an unknown one is dropped silently.
          cidOwner = this.cids.find(rec.cid);
          if (cidOwner) cidOwner.receiveRecord(rec, from);
          else s.unknownCid++;
          continue;
        }
        const conn = this.connections.get(key);
        const hello = this.opts.server && rec.epoch === 0 && rec.type === ContentType.handshake ? this.peekClientHello(rec) : null;
        // Another {254, x} than 1.0 and 1.2 is for a ClientHello only (record.ts).
        if (!isDtlsRecordVersion(rec.version) && !hello) {
          s.badVersion++;
          continue;
        }
        if (hello && !(conn && conn.role === 'server' && conn.clientRandom && bytesEqual(conn.clientRandom, hello.ch.random))) {
          this.onClientHello(rec, hello.fragment, hello.ch, address, port, conn);
        } else if (conn) {
          conn.receiveRecord(rec);
        } else {
          s.noSession++;
        }
      }
      const keyed = this.connections.get(key);
      keyed?.afterDatagram();
      if (cidOwner && cidOwner !== keyed) cidOwner.afterDatagram();
    } catch (e) {
      // A bug, not the peer's doing (every peer-controlled path reports by value): count it, keep running.
      s.internalErrors++;
      this.log.error(`dtls: internal error on a datagram from ${address}:${port}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    } finally {
      this.receiving = false;
    }
    this.drainInbox();
  }

  /** An unfragmented ClientHello in an epoch-0 record, decoded; null for anything else. */
  private peekClientHello(rec: DtlsRecord): { fragment: HandshakeFragment; ch: ClientHello } | null {
    if (rec.fragment.length === 0 || rec.fragment[0] !== HandshakeType.client_hello) return null;
    try {
      const frags = parseHandshakeFragments(rec.fragment);
      const f = frags[0];
      // A fragmented first ClientHello cannot be reassembled without state; clients send it whole (§4.2.1).
      if (frags.length !== 1 || f.fragmentOffset !== 0 || f.fragment.length !== f.length) return null;
      return { fragment: f, ch: decodeClientHello(f.fragment) };
    } catch {
      return null;
    }
  }

  private onClientHello(
    rec: DtlsRecord,
    f: HandshakeFragment,
    ch: ClientHello,
    address: string,
    port: number,
    existing: Connection | undefined,
  ): void {
    const s = this.stats;
    if (!this.cookies!.verify(address, port, ch)) {
      if (ch.cookie.length > 0) s.badCookies++;
      // One HelloVerifyRequest per datagram, however many ClientHello records it packs.
      if (this.cookieSentFor === this.inbound.serial) return;
      this.cookieSentFor = this.inbound.serial;
      // Stateless reply: same message_seq and record sequence_number as the ClientHello, version 1.0 (§4.2.1).
      const hvr = encodeHandshakeFragment(
        HandshakeType.hello_verify_request,
        f.messageSeq,
        encodeHelloVerifyRequest(DTLS_1_0, this.cookies!.make(address, port, ch)),
      );
      s.helloVerifyRequests++;
      s.recordsOut++;
      this.transmit(encodeRecord(ContentType.handshake, 0, rec.sequenceNumber, hvr, DTLS_1_0), address, port);
      return;
    }
    // A new handshake from a peer with a session (a client that restarted): the valid cookie proved the
    // address, so the old association gives way (RFC 6347 §4.2.8).
    if (existing) existing.drop('replaced');
    if (!this.makeRoom(address)) {
      s.tableFull++;
      return;
    }
    const conn = new Connection(this.host, address, port, 'server', f.messageSeq + 1, f.messageSeq, rec.sequenceNumber + 1);
    const server = this.opts.server!;
    const hs = new ServerHandshake(conn, {
      suites: this.serverSuites,
      keyFor: (identity) => this.ask('pskKey', () => server.pskKey(identity, { address, port })),
      identityHint: this.identityHint,
      lookupSession: (id) => this.sessionCache.get(toHex(id)),
      issueSessionIds: this.sessionCache.capacity > 0,
      issueConnectionId: this.serverCid ? () => this.issueCid(conn) : null,
      requireExtendedMasterSecret: server.requireExtendedMasterSecret === true,
    });
    this.adopt(conn, hs);
    hs.start(ch, { msgType: f.msgType, messageSeq: f.messageSeq, body: f.fragment.slice() });
  }

  /**
   * Room for a new server handshake from `address` (its cookie checked), made by giving up, in this order: that
   * address's own oldest pending handshake when it is at its share; the oldest pending handshake of anyone when all
   * handshake slots are taken; with the session table full, an established session idle for staleAfterMs, else the
   * oldest pending handshake. "Oldest" is the longest without a record from its client: a live client answers within
   * a round trip, so what waits longest is what strangers left half-open. False when nothing can give way.
   */
  private makeRoom(address: string): boolean {
    let own = 0;
    let ownOldest: Connection | null = null;
    let oldest: Connection | null = null;
    for (const c of this.connections.values()) {
      if (c.isEstablished || c.role !== 'server') continue;
      if (!oldest || c.lastActivity < oldest.lastActivity) oldest = c;
      if (c.address !== address) continue;
      own++;
      if (!ownOldest || c.lastActivity < ownOldest.lastActivity) ownOldest = c;
    }
    if (ownOldest && own >= this.maxHandshakesPerAddress) {
      this.evict(ownOldest);
      return true;
    }
    if (this.handshaking >= this.maxHandshakes) {
      if (!oldest) return false;
      this.evict(oldest);
      return true;
    }
    if (this.connections.size < this.maxSessions) return true;
    const staleAfter = this.opts.server?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const now = this.opts.timers.now();
    let stale: Connection | null = null;
    for (const c of this.connections.values()) {
      if (c.isEstablished && c.role === 'server' && now - c.lastActivity >= staleAfter && (!stale || c.lastActivity < stale.lastActivity))
        stale = c;
    }
    if (stale) {
      stale.close();
      return true;
    }
    if (!oldest) return false;
    this.evict(oldest);
    return true;
  }

  /** A pending server handshake gives way to a new one: dropped without a word (its client retries on its timer). */
  private evict(conn: Connection): void {
    this.stats.handshakesEvicted++;
    conn.drop('evicted');
  }

  private startClient(address: string, port: number): Connection | null {
    if (this.handshaking >= this.maxHandshakes || this.connections.size >= this.maxSessions) {
      this.stats.tableFull++;
      return null;
    }
    const client = this.opts.client!;
    const conn = new Connection(this.host, address, port, 'client');
    // Our CID (if we want one) is in the table from the start: the server's first record with it may be its Finished.
    const cid = !this.clientCid ? null : this.clientCidLength === 0 ? new Uint8Array(0) : (this.issueCid(conn) ?? new Uint8Array(0));
    const credentials = (hint: Uint8Array | null): PskCredentials | null => {
      const c = this.ask('psk', () => client.psk({ address, port, hint }));
      return c ? { identity: asBytes(c.identity), key: c.key } : null;
    };
    const hs = new ClientHandshake(
      conn,
      this.clientSuites,
      credentials,
      this.resumableWith(address, port, credentials),
      cid,
      client.requireExtendedMasterSecret === true,
    );
    this.adopt(conn, hs);
    hs.start();
    return conn;
  }

  /** The cached session with a server, if it was made with the identity and key we would use now (else it is forgotten). */
  private resumableWith(address: string, port: number, credentials: (hint: null) => PskCredentials | null): ResumableSession | null {
    const key = peerKey(address, port);
    const s = this.resumable.get(key);
    if (!s) return null;
    const creds = credentials(null);
    if (creds && bytesEqual(creds.identity, s.identity) && madeWithKey(this.opts.crypto, s, creds.key)) return s;
    this.resumable.forget(key);
    return null;
  }

  /** A CID of ours for `conn`, unique among our sessions (empty when we issue none); null when none was found. */
  private issueCid(conn: Connection): Uint8Array | null {
    const cid = this.cids.issue(this.opts.random, conn);
    if (cid !== null && cid.length > 0) conn.issuedCid = cid;
    return cid;
  }

  /**
   * RFC 9146 §6: an authenticated, newest CID record came from elsewhere. The session moves there, unless another
   * session holds that address: that one is never dropped for it (the record may have been replayed from there by
   * someone who saw it first, ahead of the real one). The record still counts; the move waits until the other ends.
   */
  private onPeerMoved(conn: Connection, address: string, port: number): void {
    const to = peerKey(address, port);
    const other = this.connections.get(to);
    if (other && other !== conn) {
      this.stats.cidMovesRefused++;
      this.log.info(
        `dtls: ${conn.role} session with ${conn.address}:${conn.port} not moved to ${address}:${port}: another session holds that address`,
      );
      return;
    }
    const fromKey = peerKey(conn.address, conn.port);
    if (this.connections.get(fromKey) === conn) this.connections.delete(fromKey);
    const from: DtlsPeer = { address: conn.address, port: conn.port };
    conn.moveTo(address, port);
    this.connections.set(to, conn);
    this.stats.peerAddressChanges++;
    this.log.info(`dtls: ${conn.role} session with ${from.address}:${from.port} moved to ${address}:${port} (connection ID)`);
    this.emit(this.onPeerAddressChanged, { from, to: { address, port }, identity: (conn.identity ?? new Uint8Array(0)).slice() });
  }

  private adopt(conn: Connection, hs: ClientHandshake | ServerHandshake): void {
    conn.handshake = hs;
    this.connections.set(peerKey(conn.address, conn.port), conn);
    this.handshaking++;
    this.stats.handshakesStarted++;
  }

  private info(conn: Connection, resumed: boolean): DtlsSessionInfo {
    return {
      address: conn.address,
      port: conn.port,
      role: conn.role,
      identity: (conn.identity ?? new Uint8Array(0)).slice(),
      cipherSuite: conn.cipherSuite,
      cipherSuiteName: suiteById(conn.cipherSuite)?.name ?? '',
      resumed,
      connectionId: conn.cidNegotiated
        ? { receive: conn.readCid ? toHex(conn.readCid) : '', send: conn.writeCid ? toHex(conn.writeCid) : '' }
        : null,
    };
  }

  private onEstablished(conn: Connection, s: EstablishedSession): void {
    this.handshaking--;
    this.stats.handshakesCompleted++;
    if (s.resumed) this.stats.handshakesResumed++;
    if (s.session) {
      if (conn.role === 'client') this.resumable.set(peerKey(conn.address, conn.port), s.session);
      else this.sessionCache.set(toHex(s.session.sessionId), s.session);
    }
    const info = this.info(conn, s.resumed);
    const cid = conn.readCid || conn.writeCid ? ', connection ID' : '';
    this.log.info(
      `dtls: ${conn.role} session with ${conn.address}:${conn.port} up (${info.cipherSuiteName}, identity ${JSON.stringify(utf8Decode(info.identity))}${s.resumed ? ', resumed' : ''}${cid})`,
    );
    this.emit(this.onHandshakeDone, info);
  }

  private onEnded(conn: Connection, e: SessionEnd): void {
    const key = peerKey(conn.address, conn.port);
    if (this.connections.get(key) === conn) this.connections.delete(key);
    if (conn.issuedCid) this.cids.release(conn.issuedCid, conn);
    // RFC 5246 §7.2.2: a fatal alert invalidates the session: no resumption of it.
    if (e.reason === 'peer_alert' || e.reason === 'local_alert') {
      if (conn.role === 'client' && (conn.isEstablished || conn.offeredResumption)) this.resumable.forget(key);
      if (conn.role === 'server' && conn.sessionId) this.sessionCache.forget(toHex(conn.sessionId));
    }
    const end: DtlsSessionEnd = {
      address: conn.address,
      port: conn.port,
      role: conn.role,
      reason: e.reason,
      alert: e.alert,
      alertName: alertName(e.alert),
    };
    const what = `${e.reason}${end.alertName ? ` (${end.alertName})` : ''}`;
    if (e.duringHandshake) {
      this.handshaking--;
      this.stats.handshakesFailed++;
      // Servers that drop a Finished they cannot verify (Scandium does) leave only a timeout: say what it likely means.
      const hint =
        e.finishedUnanswered && conn.role === 'client'
          ? ': the server never answered our Finished (wrong PSK or identity?)'
          : conn.unknownIdentity
            ? `: PSK identity ${JSON.stringify(utf8Decode(conn.identity ?? new Uint8Array(0)))} is unknown here`
            : '';
      // An eviction is routine under load (and a flood of them under attack): not a warning each.
      const line = `dtls: ${conn.role} handshake with ${conn.address}:${conn.port} failed: ${what}${hint}`;
      if (e.reason === 'evicted' || e.reason === 'abandoned') this.log.debug(line);
      else this.log.warn(line);
      this.emit(this.onHandshakeFailed, end);
    } else {
      this.log.info(`dtls: ${conn.role} session with ${conn.address}:${conn.port} closed: ${what}`);
      this.emit(this.onSessionClosed, end);
    }
  }

  /**
   * Application data is handed up once the datagram's records are done, from
   * the top of receive(): the CoAP stack and the handlers under it then run
   * on a stack without the record layer's frames (XS stack slots are few on a
   * device). Outside receive() it goes up at once.
   */
  private deliver(conn: Connection, data: Uint8Array): void {
    if (!this.onReceive) return;
    this.inbox.push(data, conn.address, conn.port);
    if (!this.receiving) this.drainInbox();
  }

  private drainInbox(): void {
    const box = this.inbox;
    for (let i = 0; i < box.length; i += 3) {
      const cb = this.onReceive;
      if (!cb || this.closed) break;
      try {
        cb(box[i] as Uint8Array, box[i + 1] as string, box[i + 2] as number);
      } catch (e) {
        this.log.error(`dtls: onReceive threw: ${(e as Error)?.message}`);
      }
    }
    box.length = 0;
  }

  /** An application callback that throws counts as "no key": the handshake fails cleanly instead of stopping half-way. */
  private ask<T>(what: string, f: () => T | null): T | null {
    try {
      return f();
    } catch (e) {
      this.log.error(`dtls: the ${what} callback threw: ${(e as Error)?.name}`);
      return null;
    }
  }

  private emit<T>(cb: ((arg: T) => void) | null, arg: T): void {
    if (!cb) return;
    try {
      cb(arg);
    } catch (e) {
      this.log.error(`dtls: event handler threw: ${(e as Error)?.message}`);
    }
  }
}

// One datagram socket, two kinds of peer: plain CoAP for the peers whose
// account says coap://, DTLS for those given PSK credentials (coaps://). An
// LwM2M client talks to its Bootstrap-Server and its LwM2M Servers from one
// local port; each account's URI scheme decides how (Core §5.2.1, Transport
// §5.2). The CoAP endpoint above sees one DatagramTransport that can name the
// PSK identity of a secured peer.
//
// Every datagram from a secured address goes to DTLS, so a plaintext request
// from an address that should speak DTLS is dropped there (counted), never
// served. Nothing else from that address reaches CoAP unprotected.
import type { DatagramTransport, Logger, Random, Timers } from '../platform/ports';
import { silentLogger } from '../platform/ports';
import type { DtlsCrypto } from './crypto';
import { DtlsTransport, type KeptDtls, type RetransmitPolicy } from './transport';
import { bytesEqual } from './bytes';
import { toHex } from '../util/hex';

export interface PskCredentials {
  identity: Uint8Array;
  key: Uint8Array;
}

export interface DtlsMuxOptions {
  /** The socket (UDP). The mux takes its onReceive; close() closes it. */
  transport: DatagramTransport;
  crypto: DtlsCrypto;
  timers: Timers;
  random: Random;
  log?: Logger;
  mtu?: number;
  retransmit?: Partial<RetransmitPolicy>;
  /** Bound on secured peers (and DTLS sessions); the oldest gives way. */
  maxPeers?: number;
  /** Offer the connection_id extension (RFC 9146), default true; false: handshakes as before CIDs. */
  connectionId?: boolean;
  /** Bytes of the CID we ask servers to use toward us; 0 (default) asks for none. */
  connectionIdLength?: number;
  /** Fail handshakes with servers that do not use the extended master secret (RFC 7627). */
  requireExtendedMasterSecret?: boolean;
}

/** A Bootstrap-Server and a few LwM2M Servers. */
export const DEFAULT_MAX_SECURED_PEERS = 4;

function key(address: string, port: number): string {
  return `${address}/${port}`;
}

export class DtlsMux implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  /** The DTLS side: its stats and events (handshake done/failed, session closed). */
  readonly dtls: DtlsTransport;

  private readonly below: DatagramTransport;
  private readonly secured = new Map<string, PskCredentials>();
  private readonly maxPeers: number;
  private readonly log: Logger;
  /** What DTLS sees as its socket: sends go to the real one, receives come from us. */
  private readonly inner: DatagramTransport;

  constructor(o: DtlsMuxOptions) {
    this.below = o.transport;
    this.log = o.log ?? silentLogger;
    this.maxPeers = o.maxPeers ?? DEFAULT_MAX_SECURED_PEERS;
    const below = this.below;
    this.inner = { onReceive: null, send: (d, a, p) => below.send(d, a, p), close: () => {} };
    this.dtls = new DtlsTransport({
      transport: this.inner,
      crypto: o.crypto,
      timers: o.timers,
      random: o.random,
      log: o.log,
      mtu: o.mtu,
      retransmit: o.retransmit,
      maxSessions: this.maxPeers,
      maxHandshakes: this.maxPeers,
      client: {
        psk: (peer) => this.secured.get(key(peer.address, peer.port)) ?? null,
        resumableSessions: this.maxPeers,
        connectionId: o.connectionId,
        connectionIdLength: o.connectionIdLength,
        requireExtendedMasterSecret: o.requireExtendedMasterSecret,
      },
    });
    this.dtls.onReceive = (d, a, p) => this.onReceive?.(d, a, p);
    below.onReceive = (d, a, p) => {
      if (this.secured.has(key(a, p))) this.inner.onReceive?.(d, a, p);
      else this.onReceive?.(d, a, p);
    };
  }

  /**
   * From now on this peer speaks DTLS with these credentials. New credentials
   * for a peer end its session (close_notify) and its resumable state: the
   * next send makes a full handshake with them.
   */
  secure(address: string, port: number, creds: PskCredentials): void {
    const k = key(address, port);
    const old = this.secured.get(k);
    if (old) {
      if (bytesEqual(old.identity, creds.identity) && bytesEqual(old.key, creds.key)) return;
      this.dtls.closeSession(address, port);
      this.dtls.forgetSession(address, port);
      this.secured.delete(k);
    } else if (this.secured.size >= this.maxPeers) {
      const [oldest] = this.secured.keys();
      const [a, p] = splitKey(oldest!);
      this.log.warn(`dtls: more than ${this.maxPeers} secured peers; ${a}:${p} gives way`);
      this.release(a, p);
    }
    this.secured.set(k, { identity: creds.identity.slice(), key: creds.key.slice() });
  }

  /** The peer no longer speaks DTLS: close_notify, and its credentials and session are forgotten. */
  release(address: string, port: number): void {
    const k = key(address, port);
    if (!this.secured.has(k)) return;
    this.dtls.closeSession(address, port);
    this.dtls.forgetSession(address, port);
    this.secured.delete(k);
  }

  /** Only these peers stay secured (after a new configuration). */
  retain(peers: ReadonlyArray<{ address: string; port: number }>): void {
    const keep = new Set(peers.map((p) => key(p.address, p.port)));
    for (const k of [...this.secured.keys()]) {
      if (!keep.has(k)) {
        const [a, p] = splitKey(k);
        this.release(a, p);
      }
    }
  }

  isSecured(address: string, port: number): boolean {
    return this.secured.has(key(address, port));
  }

  /** Ends a secured peer's session with close_notify; the session stays resumable (abbreviated handshake next time). */
  closeSession(address: string, port: number): void {
    if (this.secured.has(key(address, port))) this.dtls.closeSession(address, port);
  }

  /**
   * CoAP gave up on a secured peer: its session may be gone at its end (a
   * server restarted without close_notify drops our records as unknown). End
   * ours too, so the next message starts a handshake (a resumption when the
   * peer still has the session, else a full one).
   */
  peerUnresponsive(address: string, port: number): void {
    if (!this.secured.has(key(address, port)) || !this.dtls.sessionInfo(address, port)) return;
    this.log.info(`dtls: no answer from ${address}:${port} over its session; a new handshake next time`);
    this.dtls.closeSession(address, port);
  }

  /**
   * After a network change our address may have moved: a session whose server gave us a CID (RFC 9146) stays, since the
   * server finds it by that CID wherever we now are; every other session ends (close_notify) and resumes on the next send.
   */
  closeSessions(): void {
    for (const k of this.secured.keys()) {
      const [a, p] = splitKey(k);
      if (this.dtls.sessionInfo(a, p)?.connectionId?.send) continue;
      this.dtls.closeSession(a, p);
    }
  }

  /** What a deep sleep keeps of a secured peer's DTLS state (DtlsTransport.keep); null for a plain peer or none. */
  keep(address: string, port: number): KeptDtls | null {
    return this.secured.has(key(address, port)) ? this.dtls.keep(address, port) : null;
  }

  /** After a deep sleep: a secured peer's kept state back (DtlsTransport.resumeKept), with the credentials it has now. */
  resumeKept(address: string, port: number, kept: KeptDtls, sleptMs: number): void {
    const creds = this.secured.get(key(address, port));
    if (creds) this.dtls.resumeKept(address, port, kept, creds, sleptMs);
  }

  /** Every session forgotten without a word (a deep sleep, a power loss); the secured peers stay as they are. */
  abandon(): void {
    this.dtls.abandon();
  }

  /** The PSK identity of an established session, as `psk:<hex>`; undefined for a plain peer or while handshaking. */
  identityOf(address: string, port: number): string | undefined {
    if (!this.secured.has(key(address, port))) return undefined;
    const id = this.dtls.identityOf(address, port);
    return id ? pskIdentityTag(id) : undefined;
  }

  send(data: Uint8Array, address: string, port: number): void {
    if (this.secured.has(key(address, port))) this.dtls.send(data, address, port);
    else this.below.send(data, address, port);
  }

  /** close_notify to every secured peer; the socket stays open for its owner. */
  detach(): void {
    this.dtls.close();
    this.secured.clear();
    this.below.onReceive = null;
  }

  /** close_notify to every secured peer, then the socket closes. */
  close(): void {
    this.detach();
    this.below.close();
  }
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf('/');
  return [k.slice(0, i), Number(k.slice(i + 1))];
}

/** The text a Peer carries for a PSK identity (binary identities allowed): `psk:<hex>`. */
export function pskIdentityTag(identity: Uint8Array): string {
  return `psk:${toHex(identity)}`;
}

/**
 * A DtlsTransport as the CoAP stack's IdentifyingTransport: each request's
 * Peer names the PSK identity of the session it came over (pskIdentityTag).
 */
export function identifyingDtls(
  dtls: DtlsTransport,
): DatagramTransport & { identityOf(address: string, port: number): string | undefined } {
  return {
    get onReceive() {
      return dtls.onReceive;
    },
    set onReceive(f) {
      dtls.onReceive = f;
    },
    send: (d, a, p) => dtls.send(d, a, p),
    close: () => dtls.close(),
    identityOf(address, port) {
      const id = dtls.identityOf(address, port);
      return id ? pskIdentityTag(id) : undefined;
    },
  };
}

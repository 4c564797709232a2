// Matching (RFC 7252 §4.4, §4.5, §5.3.2), the bottom of the stack: every
// datagram is decoded and classified here. ACK and RST go to the reliability
// layer (matched by Message ID); a request or a CON/NON response is checked
// against the deduplication cache first (a duplicate gets the answer given
// before and never reaches a handler twice); a response is matched to the
// request or observation of ours that carries its token, and one that matches
// nothing is rejected with RST. Malformed datagrams are answered (RST for a
// CON) or dropped, and counted; nothing a peer sends throws past receive().
// A request from a peer the application does not serve (PeerAdmission) is
// dropped before it is decoded: it costs the stack no allocation of its own.
import { Code, OptionNumber, Type, decodeMessage, encodeMessage, isRequestCode, isResponseCode, type CoapMessage } from './message';
import { firstBadCriticalOption, uintOption } from './options';
import { DedupCache, type DedupEntry } from './dedup';
import { emptyMessage, responseMessage } from './compose';
import { peerKey } from './transport';
import { toHex } from '../util/hex';
import type { Reliability } from './reliability';
import type { StackContext } from './stack-context';
import type { TokenOwner } from './exchange';
import type { Peer, PeerAdmission } from './api';

/** Where the matcher hands a request that is not a duplicate, with its dedup entry (the server side). */
export interface RequestReceiver {
  receiveRequest(msg: CoapMessage, peer: Peer, entry: DedupEntry): void;
}

/** Where it hands a CON or NON response to a request or observation of ours, already ACKed if CON (the client side). */
export interface ResponseReceiver {
  receiveResponse(owner: TokenOwner, msg: CoapMessage, peer: Peer): void;
}

/** Whether a datagram is a CoAP request (version 1, code 0.01–0.31) by its first two bytes (RFC 7252 §3). */
function isRequestDatagram(data: Uint8Array): boolean {
  return data.length >= 4 && (data[0] & 0xc0) === 0x40 && data[1] >= 1 && data[1] <= 31;
}

export class Matcher {
  serverSide: RequestReceiver | null = null;
  clientSide: ResponseReceiver | null = null;
  /** Whom requests are taken from; null: every peer. */
  admission: PeerAdmission | null = null;
  readonly dedup: DedupCache;
  /** Our requests in flight and our observations, by peer#token (bounds: NSTART and the queue, maxClientObservations). */
  private readonly tokens = new Map<string, TokenOwner>();

  constructor(
    private readonly ctx: StackContext,
    private readonly reliability: Reliability,
  ) {
    this.dedup = new DedupCache(ctx.limits.dedupCapacity, ctx.shares);
  }

  // ------------------------------------------------------------- tokens

  /** A token no request or observation of ours uses with any peer. */
  newToken(): Uint8Array {
    for (;;) {
      const t = this.ctx.random.bytes(this.ctx.limits.tokenLength);
      const h = toHex(t);
      let clash = false;
      for (const k of this.tokens.keys())
        if (k.endsWith(`#${h}`)) {
          clash = true;
          break;
        }
      if (!clash) return t;
    }
  }

  /** Registers the owner of `peer#token`; false when that key is taken by another. */
  claim(key: string, owner: TokenOwner): boolean {
    const had = this.tokens.get(key);
    if (had !== undefined && had !== owner) return false;
    this.tokens.set(key, owner);
    return true;
  }

  /** Releases `key` if `owner` holds it. */
  release(key: string, owner: TokenOwner): void {
    if (this.tokens.get(key) === owner) this.tokens.delete(key);
  }

  owner(key: string): TokenOwner | undefined {
    return this.tokens.get(key);
  }

  /** Owners of every token (close() fails or forgets them). */
  owners(): TokenOwner[] {
    return [...this.tokens.values()];
  }

  clear(): void {
    this.tokens.clear();
    this.dedup.clear();
  }

  // ----------------------------------------------------------- sending

  sendEmpty(type: number, messageId: number, peer: Peer): Uint8Array {
    const bytes = emptyMessage(type, messageId);
    if (type === Type.RST) this.ctx.stats.resetsSent++;
    this.ctx.send(bytes, peer);
    return bytes;
  }

  // --------------------------------------------------------- receiving

  receive(data: Uint8Array, peer: Peer): void {
    if (this.ctx.closed) return;
    const stats = this.ctx.stats;
    stats.received++;
    try {
      const admission = this.admission;
      if (admission !== null && isRequestDatagram(data) && !admission.serves(peer)) {
        stats.notServed++;
        return;
      }
      this.dispatch(data, peer);
    } catch (e) {
      // A bug, not peer input: never let it escape into the transport.
      stats.dropped++;
      this.ctx.log.error(`coap: internal error on datagram from ${peer.address}:${peer.port}: ${(e as Error).message}`);
    }
  }

  private dispatch(data: Uint8Array, peer: Peer): void {
    const d = decodeMessage(data);
    if (!d.ok) {
      this.ctx.stats.formatErrors++;
      // §4.2/§4.3: a malformed CON is rejected with RST; malformed NON/ACK/RST silently dropped.
      if (d.type === Type.CON && d.messageId !== undefined) this.sendEmpty(Type.RST, d.messageId, peer);
      else this.ctx.stats.dropped++;
      this.ctx.log.debug(`coap: malformed datagram from ${peer.address}:${peer.port}: ${d.error}`);
      return;
    }
    const msg = d.message;
    const from = peerKey(peer);
    if (msg.type === Type.ACK || msg.type === Type.RST) this.reliability.onAckOrReset(msg, from);
    else if (msg.code === Code.EMPTY)
      this.sendEmpty(Type.RST, msg.messageId, peer); // CoAP ping (§4.3)
    else if (isRequestCode(msg.code)) this.request(msg, peer, from);
    else if (isResponseCode(msg.code)) this.response(msg, peer, from);
    else this.ctx.stats.dropped++;
  }

  /** The dedup entry of a message already seen (counted as a duplicate), or undefined. */
  private duplicateOf(dkey: string, now: number): DedupEntry | undefined {
    const seen = this.dedup.get(dkey, now);
    if (seen) this.ctx.stats.duplicates++;
    return seen;
  }

  private request(msg: CoapMessage, peer: Peer, from: string): void {
    const { stats, limits } = this.ctx;
    const con = msg.type === Type.CON;
    const now = this.ctx.timers.now();
    const dkey = `${from}#${msg.messageId}`;
    const seen = this.duplicateOf(dkey, now);
    if (seen) {
      if (!con) return; // §4.5: a duplicate NON is silently ignored
      if (seen.reply) this.ctx.send(seen.reply, peer);
      else if (seen.processing && !seen.acked) {
        // Still working on it: stop the peer's retransmissions and answer separately.
        seen.reply = this.sendEmpty(Type.ACK, msg.messageId, peer);
        seen.acked = true;
      }
      return;
    }
    const entry = this.dedup.add(dkey, from, now, con ? limits.exchangeLifetime : limits.nonLifetime);
    stats.dedupEvicted = this.dedup.evicted;
    if (!entry) {
      stats.dedupFull++;
      if (!con) {
        stats.dropped++;
        return;
      }
      const wait = Math.max(1, Math.ceil((this.dedup.earliestExpiry() - now) / 1000));
      const refusal = responseMessage(
        Type.ACK,
        msg.messageId,
        msg.token,
        { code: Code.SERVICE_UNAVAILABLE, options: [uintOption(OptionNumber.MAX_AGE, wait)] },
        [],
      );
      this.ctx.send(encodeMessage(refusal), peer);
      return;
    }
    this.serverSide?.receiveRequest(msg, peer, entry);
  }

  private response(msg: CoapMessage, peer: Peer, from: string): void {
    const stats = this.ctx.stats;
    const con = msg.type === Type.CON;
    const now = this.ctx.timers.now();
    const dkey = `${from}#${msg.messageId}`;
    const seen = this.duplicateOf(dkey, now);
    if (seen) {
      if (con && seen.reply) this.ctx.send(seen.reply, peer);
      return;
    }
    if (firstBadCriticalOption(msg) >= 0) {
      // §5.4.1: reject a response with an unrecognised critical option.
      stats.badOptions++;
      if (con) this.sendEmpty(Type.RST, msg.messageId, peer);
      else stats.dropped++;
      return;
    }
    const owner = this.tokens.get(`${from}#${toHex(msg.token)}`);
    if (!owner) {
      // Unknown token: reject (RFC 7252 §5.3.2; RFC 7641 §3.6 for unwanted notifications). No dedup
      // entry: a duplicate is rejected again just the same, and nobody fills the cache with junk.
      this.sendEmpty(Type.RST, msg.messageId, peer);
      return;
    }
    const entry = this.dedup.add(dkey, from, now, con ? this.ctx.limits.exchangeLifetime : this.ctx.limits.nonLifetime);
    if (entry) entry.processing = false;
    if (con) {
      // §5.2.2: the separate response (or notification) is acknowledged at once.
      const ack = this.sendEmpty(Type.ACK, msg.messageId, peer);
      if (entry) {
        entry.reply = ack;
        entry.acked = true;
      }
    }
    this.clientSide?.receiveResponse(owner, msg, peer);
  }
}

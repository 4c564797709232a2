// Block-wise layer (RFC 7959), both roles. As a server it reassembles Block1
// request bodies and cuts response bodies into Block2 blocks, keeping a
// body for the follow-up requests; as a client it sends a long body in Block1
// blocks and collects a Block2 response. Both server tables are bounded
// (maxBlockSessions each, at most half of them one peer's: fair-share.ts) and
// drop sessions idle longer than blockSessionTimeout; a body is bounded by
// maxReassemblySize (4.13 with Size1 beyond it).
import { Code, OptionNumber, type CoapMessage, type CoapOption } from './message';
import { encodeBlock, getBlock, getSize1, szxToSize, uintOption, type BlockValue } from './options';
import { EMPTY } from './compose';
import { toHex } from '../util/hex';
import type { ResponseSpec } from './api';
import type { ClientExchange, ServerExchange } from './exchange';
import type { StackContext } from './stack-context';
import { BLOCK1, BLOCK2, victim, type PeerShares } from './fair-share';

/** What a session table keeps: when it expires, and whose it is (transport.ts peerKey). */
interface Session {
  expires: number;
  peer: string;
}

interface Block1Session extends Session {
  parts: Uint8Array[];
  received: number;
}

interface Block2Body extends Session {
  code: number;
  contentFormat?: number;
  body: Uint8Array;
}

/** How the server side answers a block it could not pass up. */
export interface BlockReply {
  spec: ResponseSpec;
  /** Sent as is (2.31 Continue), not through the response path (relations, Block2). */
  direct: boolean;
}

/** What a response block means for the request that asked for it. */
export type ClientBlockOutcome =
  { kind: 'next-block' } | { kind: 'complete'; first: CoapMessage; payload: Uint8Array } | { kind: 'failed'; reason: string };

const BLOCK_OPTIONS = new Set<number>([
  OptionNumber.BLOCK1,
  OptionNumber.BLOCK2,
  OptionNumber.SIZE1,
  OptionNumber.SIZE2,
  OptionNumber.OBSERVE,
]);

/**
 * Token- and MID-independent key of a request: peer, method and every option
 * except Block1/Block2/Size1/Size2/Observe, so all blocks of one transfer (and
 * the GETs that fetch the rest of a notification) map to the same entry.
 */
export function requestKey(peerKey: string, m: CoapMessage): string {
  let k = `${peerKey}|${m.code}`;
  for (const o of m.options) {
    if (BLOCK_OPTIONS.has(o.number)) continue;
    k += `|${o.number}:${toHex(o.value)}`;
  }
  return k;
}

/**
 * A bounded map of sessions with idle expiry, in insertion order. A peer at
 * its share gives up its own oldest session for a new one (it moved on).
 */
export class SessionTable<T extends Session> {
  private readonly map = new Map<string, T>();

  constructor(
    readonly capacity: number,
    readonly timeout: number,
    private readonly shares: PeerShares,
    private readonly table: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, now: number): T | undefined {
    const e = this.map.get(key);
    if (e && e.expires <= now) {
      this.remove(key, e);
      return undefined;
    }
    return e;
  }

  /** Store `value` (of `value.peer`) under key; false when the table is full of other peers' live sessions. */
  set(key: string, value: T, now: number): boolean {
    const old = this.map.get(key);
    if (old !== undefined) this.remove(key, old);
    else if (this.shares.atShare(value.peer, this.table, this.capacity)) this.evict(value.peer);
    else if (this.map.size >= this.capacity) {
      for (const [k, e] of this.map) if (e.expires <= now) this.remove(k, e);
      if (this.map.size >= this.capacity) return false;
    }
    value.expires = now + this.timeout;
    this.map.set(key, value);
    this.shares.take(value.peer, this.table);
    return true;
  }

  /** Gives up the oldest session of `peer`, or of the peer that holds most; true if one went. */
  evict(peer: string | null): boolean {
    const k = victim(this.map, this.shares, this.table, null, peer);
    if (k === undefined) return false;
    this.remove(k, this.map.get(k)!);
    return true;
  }

  touch(value: T, now: number): void {
    value.expires = now + this.timeout;
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e !== undefined) this.remove(key, e);
  }

  clear(): void {
    this.map.clear();
    this.shares.clear(this.table);
  }

  private remove(key: string, e: T): void {
    this.map.delete(key);
    this.shares.release(e.peer, this.table);
  }
}

export function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let p = 0;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

export class Blockwise {
  private readonly block1Sessions: SessionTable<Block1Session>;
  private readonly block2Bodies: SessionTable<Block2Body>;

  constructor(private readonly ctx: StackContext) {
    const { maxBlockSessions, blockSessionTimeout } = ctx.limits;
    this.block1Sessions = new SessionTable<Block1Session>(maxBlockSessions, blockSessionTimeout, ctx.shares, BLOCK1);
    this.block2Bodies = new SessionTable<Block2Body>(maxBlockSessions, blockSessionTimeout, ctx.shares, BLOCK2);
  }

  /** Block1 bodies being reassembled, and Block2 bodies kept for follow-ups. */
  get sessions(): { block1: number; block2: number } {
    return { block1: this.block1Sessions.size, block2: this.block2Bodies.size };
  }

  clear(): void {
    this.block1Sessions.clear();
    this.block2Bodies.clear();
  }

  // ------------------------------------------------------------ server

  /**
   * Takes the body of a request in: the payload as it is, or one Block1 block
   * of it (§2.3, §2.5). Returns null when the whole body is in sx.payload,
   * else the reply to send for this block.
   */
  receiveRequestBody(sx: ServerExchange, b1: BlockValue | undefined): BlockReply | null {
    const msg = sx.message;
    if (!b1) {
      sx.payload = msg.payload.slice();
      return null;
    }
    const streams = this.ctx.streamsBody;
    if (streams !== null && streams(sx.path, msg.code)) {
      // Handed up as it comes: no session, no reassembly bound (the application bounds the stream).
      if (b1.more && msg.payload.length !== b1.size) return { spec: { code: Code.BAD_REQUEST }, direct: false };
      sx.payload = msg.payload.slice();
      sx.block1 = { num: b1.num, offset: b1.num * b1.size, size: b1.size, more: b1.more };
      sx.streamedBlock = b1;
      return null;
    }
    const { maxReassemblySize, blockSzx } = this.ctx.limits;
    const now = this.ctx.timers.now();
    const key = requestKey(sx.peerKey, msg);
    const tooLarge = (): BlockReply => {
      this.block1Sessions.delete(key);
      return { spec: { code: Code.REQUEST_ENTITY_TOO_LARGE, options: [uintOption(OptionNumber.SIZE1, maxReassemblySize)] }, direct: false };
    };
    const fail = (code: number): BlockReply => {
      this.block1Sessions.delete(key);
      return { spec: { code }, direct: false };
    };
    const size1 = getSize1(msg);
    if (size1 !== undefined && size1 > maxReassemblySize) return tooLarge();
    const offset = b1.num * b1.size;
    let s: Block1Session | undefined;
    if (b1.num === 0) {
      s = { parts: [], received: 0, expires: 0, peer: sx.peerKey };
      if (b1.more && !this.block1Sessions.set(key, s, now)) {
        this.ctx.stats.blockSessionsFull++;
        return { spec: { code: Code.SERVICE_UNAVAILABLE }, direct: false };
      }
    } else {
      s = this.block1Sessions.get(key, now);
      if (!s || s.received !== offset) return fail(Code.REQUEST_ENTITY_INCOMPLETE);
      this.block1Sessions.touch(s, now);
    }
    if (b1.more && msg.payload.length !== b1.size) return fail(Code.BAD_REQUEST);
    if (s.received + msg.payload.length > maxReassemblySize) return tooLarge();
    s.parts.push(msg.payload.slice());
    s.received += msg.payload.length;
    if (b1.more) {
      // Answer at our SZX when it is smaller; NUM names the block in that size (§2.5, Figure 4).
      const szx = Math.min(b1.szx, blockSzx);
      const num = offset / szxToSize(szx);
      return {
        spec: { code: Code.CONTINUE, options: [{ number: OptionNumber.BLOCK1, value: encodeBlock(num, true, szx) }] },
        direct: true,
      };
    }
    this.block1Sessions.delete(key);
    sx.payload = concat(s.parts, s.received);
    sx.block1Echo = b1;
    return null;
  }

  /** A later Block2 block of a body already produced (§2.4), or undefined when the handler must run. */
  cachedBlock(sx: ServerExchange): ResponseSpec | undefined {
    const b2 = sx.block2;
    if (!b2 || b2.num === 0) return undefined;
    const cached = this.block2Bodies.get(requestKey(sx.peerKey, sx.message), this.ctx.timers.now());
    return cached ? { code: cached.code, contentFormat: cached.contentFormat, payload: cached.body } : undefined;
  }

  /**
   * The block of a response at `offset` (§2.4), keeping the whole body for
   * follow-up requests while blocks remain. Returns the spec to send (with
   * Block2/Size2 options added), or null when offset is beyond the body.
   * `key`: the body's key, or the request it answers (its key is then built only when a body is kept or dropped).
   */
  slice(spec: ResponseSpec, offset: number, szx: number, asked: boolean, key: string | CoapMessage, peer: string): ResponseSpec | null {
    const body = spec.payload ?? EMPTY;
    const size = szxToSize(szx);
    if (!asked && body.length <= size) return spec;
    const bodyKey = typeof key === 'string' ? key : requestKey(peer, key);
    if (offset > 0 && offset >= body.length) return null;
    const end = Math.min(offset + size, body.length);
    const more = end < body.length;
    const options = (spec.options ?? []).slice();
    options.push({ number: OptionNumber.BLOCK2, value: encodeBlock(offset / size, more, szx) });
    if (offset === 0 && more) options.push(uintOption(OptionNumber.SIZE2, body.length));
    const now = this.ctx.timers.now();
    if (more) {
      const entry: Block2Body = { code: spec.code, contentFormat: spec.contentFormat, body, expires: 0, peer };
      if (!this.block2Bodies.set(bodyKey, entry, now)) {
        // Full: the oldest body of the peer that holds most goes (its next block re-runs the handler).
        this.ctx.stats.blockSessionsFull++;
        this.block2Bodies.evict(null);
        this.block2Bodies.set(bodyKey, entry, now);
      }
    } else if (offset > 0) {
      this.block2Bodies.delete(bodyKey);
    }
    return { ...spec, options, payload: body.subarray(offset, end) };
  }

  /** The SZX to answer a request with: what it asked for in Block2, at most ours. */
  responseSzx(b2: BlockValue | undefined): number {
    return b2 ? Math.min(b2.szx, this.ctx.limits.blockSzx) : this.ctx.limits.blockSzx;
  }

  // ------------------------------------------------------------ client

  /** Options and payload of the request message for the current Block1/Block2 position. */
  requestBlock(ex: ClientExchange): { options: CoapOption[]; payload: Uint8Array } {
    const options = ex.options.slice();
    if (ex.b2Next) {
      // Follow-up for the rest of a Block2 body: no payload, no Block1, no Observe (§2.4, §3.4).
      for (let i = options.length - 1; i >= 0; i--) if (options[i].number === OptionNumber.OBSERVE) options.splice(i, 1);
      options.push({ number: OptionNumber.BLOCK2, value: encodeBlock(ex.b2Next.num, false, ex.b2Next.szx) });
      return { options, payload: EMPTY };
    }
    const one = ex.req.block1;
    if (one) {
      options.push({ number: OptionNumber.BLOCK1, value: encodeBlock(one.num, one.more, one.szx) });
      if (one.num === 0 && one.size1 !== undefined) options.push(uintOption(OptionNumber.SIZE1, one.size1));
      return { options, payload: ex.body };
    }
    if (ex.body.length > szxToSize(ex.b1Szx) || ex.b1Offset > 0) {
      const size = szxToSize(ex.b1Szx);
      const end = Math.min(ex.b1Offset + size, ex.body.length);
      const more = end < ex.body.length;
      ex.b1Len = end - ex.b1Offset;
      options.push({ number: OptionNumber.BLOCK1, value: encodeBlock(ex.b1Offset / size, more, ex.b1Szx) });
      if (ex.b1Offset === 0) options.push(uintOption(OptionNumber.SIZE1, ex.body.length));
      return { options, payload: ex.body.subarray(ex.b1Offset, end) };
    }
    return { options, payload: ex.body };
  }

  /** Whether this response asks for the next Block1 block (2.31 Continue, §2.3); moves on to it. */
  continueBlock1(ex: ClientExchange, msg: CoapMessage): boolean {
    if (ex.req.block1 || ex.b2Next || ex.b1Len === 0 || ex.b1Offset + ex.b1Len >= ex.body.length || msg.code !== Code.CONTINUE)
      return false;
    const b1 = getBlock(msg, OptionNumber.BLOCK1);
    if (b1 && b1.szx < ex.b1Szx) ex.b1Szx = b1.szx;
    ex.b1Offset += ex.b1Len;
    return true;
  }

  /** Collects a response block (§2.4): the whole response, a request for the next block, or a failure. */
  collect(ex: ClientExchange, msg: CoapMessage): ClientBlockOutcome {
    const b2 = getBlock(msg, OptionNumber.BLOCK2);
    if (b2 === null) return { kind: 'failed', reason: 'malformed Block2 option in response' };
    // One block asked for (RequestOptions.block2): it is the answer, whatever follows it.
    if (ex.req.block2) return { kind: 'complete', first: msg, payload: msg.payload.slice() };
    if (b2 && (b2.more || ex.parts !== null)) {
      if (b2.num * b2.size !== ex.received) return { kind: 'failed', reason: 'Block2 response out of order' };
      if (ex.received + msg.payload.length > this.ctx.limits.maxReassemblySize)
        return { kind: 'failed', reason: 'response body exceeds maxReassemblySize' };
      if (!ex.first) ex.first = msg;
      (ex.parts ??= []).push(msg.payload.slice());
      ex.received += msg.payload.length;
      if (b2.more) {
        if (msg.payload.length !== b2.size) return { kind: 'failed', reason: 'short Block2 block' };
        const szx = Math.min(b2.szx, this.ctx.limits.blockSzx);
        ex.b2Next = { num: ex.received / szxToSize(szx), szx };
        return { kind: 'next-block' };
      }
    }
    const payload = ex.parts !== null ? concat(ex.parts, ex.received) : msg.payload.slice();
    return { kind: 'complete', first: ex.first ?? msg, payload };
  }

  /** Starts collecting the rest of a notification whose first block arrived (§3.4). */
  startFromFirstBlock(ex: ClientExchange, first: CoapMessage): void {
    const b2 = getBlock(first, OptionNumber.BLOCK2)!;
    ex.first = first;
    ex.parts = [first.payload.slice()];
    ex.received = first.payload.length;
    const szx = Math.min(b2.szx, this.ctx.limits.blockSzx);
    ex.b2Next = { num: ex.received / szxToSize(szx), szx };
  }
}

// Handshake message reassembly and ordering (RFC 6347 §4.2.2-4.2.3):
// fragments of the next few message_seq values are collected until whole,
// then handed out strictly in message_seq order. Everything here comes from
// unauthenticated epoch-0 records, so it is bounded per role: a message
// longer than the role ever receives, further ahead than MAX_MESSAGES_AHEAD,
// or that would take the buffers (bodies and their bitmaps, all counted) past
// the role's byte budget is dropped, never buffered.
import type { HandshakeFragment } from './handshake-messages';

/** How many message_seq values from the next expected one may be buffered at once (a PSK flight has at most 3 messages). */
export const MAX_MESSAGES_AHEAD = 4;

export interface ReassemblyLimits {
  /** Longest handshake message body this role receives. */
  maxMessageLength: number;
  /** Bytes of partial messages (body + bitmap) held at once. */
  maxBytes: number;
}

/**
 * What each role receives. A client: HelloVerifyRequest (a cookie ≤ 255 bytes), ServerHello with its extensions,
 * ServerKeyExchange with an identity hint, ServerHelloDone, Finished: 1 KiB each at most. A server (the ClientHello
 * is taken whole before any state, never reassembled): ClientKeyExchange, an identity of up to 512 bytes (RFC 4279
 * asks for 128), and Finished. Either holds at most 1,792 bytes of partial messages, which with the one early record
 * a Connection keeps (MAX_EARLY_RECORD_LENGTH) makes 2 KiB per association.
 */
export const REASSEMBLY_LIMITS: Readonly<Record<'client' | 'server', ReassemblyLimits>> = Object.freeze({
  client: Object.freeze({ maxMessageLength: 1024, maxBytes: 1792 }),
  server: Object.freeze({ maxMessageLength: 2 + 512, maxBytes: 1792 }),
});

export interface HandshakeMessage {
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
}

interface Partial {
  msgType: number;
  body: Uint8Array;
  /** Bit i set once byte i arrived (one bit a byte: an eighth of the body). */
  have: Uint8Array;
  missing: number;
}

export type AddResult = 'old' | 'accepted' | 'dropped';

export class HandshakeReassembler {
  /** message_seq of the next message to hand out. */
  nextSeq: number;
  private readonly pending = new Map<number, Partial>();
  private held = 0;

  constructor(
    firstSeq = 0,
    private readonly limits: ReassemblyLimits = REASSEMBLY_LIMITS.client,
  ) {
    this.nextSeq = firstSeq;
  }

  /** 'old' for a message already handed out (a retransmission), 'dropped' for one past the bounds or inconsistent. */
  add(f: HandshakeFragment): AddResult {
    if (f.messageSeq < this.nextSeq) return 'old';
    if (f.messageSeq >= this.nextSeq + MAX_MESSAGES_AHEAD || f.length > this.limits.maxMessageLength) return 'dropped';
    let p = this.pending.get(f.messageSeq);
    if (!p) {
      const cost = f.length + bitmapLength(f.length);
      if (this.held + cost > this.limits.maxBytes) return 'dropped';
      p = { msgType: f.msgType, body: new Uint8Array(f.length), have: new Uint8Array(bitmapLength(f.length)), missing: f.length };
      this.pending.set(f.messageSeq, p);
      this.held += cost;
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) {
      return 'dropped';
    }
    const end = f.fragmentOffset + f.fragment.length;
    for (let i = f.fragmentOffset; i < end; i++) {
      const bit = 1 << (i & 7);
      if (p.have[i >>> 3] & bit) continue;
      p.have[i >>> 3] |= bit;
      p.body[i] = f.fragment[i - f.fragmentOffset];
      p.missing--;
    }
    return 'accepted';
  }

  /** The next whole message in order, or null. */
  take(): HandshakeMessage | null {
    const p = this.pending.get(this.nextSeq);
    if (!p || p.missing > 0) return null;
    this.pending.delete(this.nextSeq);
    this.held -= p.body.length + p.have.length;
    return { msgType: p.msgType, messageSeq: this.nextSeq++, body: p.body };
  }

  /** Bytes held in partial messages: bodies and bitmaps. */
  get bufferedBytes(): number {
    return this.held;
  }

  clear(): void {
    this.pending.clear();
    this.held = 0;
  }
}

function bitmapLength(n: number): number {
  return (n + 7) >>> 3;
}

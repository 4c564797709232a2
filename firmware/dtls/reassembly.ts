// Handshake message reassembly and ordering (RFC 6347 §4.2.2-4.2.3):
// fragments of the next few message_seq values are collected until whole,
// then handed out strictly in message_seq order. Bounded: a message longer
// than MAX_HANDSHAKE_MESSAGE_LENGTH or further ahead than
// MAX_MESSAGES_AHEAD is dropped, never buffered.
import type { HandshakeFragment } from './handshake-messages';

/** Largest handshake message we reassemble; a PSK handshake's largest is a ClientHello of a few hundred bytes. */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 2048;
/** How many message_seq values from the next expected one may be buffered at once (a PSK flight has at most 3 messages). */
export const MAX_MESSAGES_AHEAD = 4;

export interface HandshakeMessage { msgType: number; messageSeq: number; body: Uint8Array }

interface Partial {
  msgType: number;
  body: Uint8Array;
  /** have[i] = 1 once byte i arrived. */
  have: Uint8Array;
  missing: number;
}

export type AddResult = 'old' | 'accepted' | 'dropped';

export class HandshakeReassembler {
  /** message_seq of the next message to hand out. */
  nextSeq: number;
  private readonly pending = new Map<number, Partial>();

  constructor(firstSeq = 0) { this.nextSeq = firstSeq; }

  /** 'old' for a message already handed out (a retransmission), 'dropped' for one past the bounds or inconsistent. */
  add(f: HandshakeFragment): AddResult {
    if (f.messageSeq < this.nextSeq) return 'old';
    if (f.messageSeq >= this.nextSeq + MAX_MESSAGES_AHEAD || f.length > MAX_HANDSHAKE_MESSAGE_LENGTH) return 'dropped';
    let p = this.pending.get(f.messageSeq);
    if (!p) {
      p = { msgType: f.msgType, body: new Uint8Array(f.length), have: new Uint8Array(f.length), missing: f.length };
      this.pending.set(f.messageSeq, p);
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) {
      return 'dropped';
    }
    const end = f.fragmentOffset + f.fragment.length;
    for (let i = f.fragmentOffset; i < end; i++) {
      if (p.have[i]) continue;
      p.have[i] = 1;
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
    return { msgType: p.msgType, messageSeq: this.nextSeq++, body: p.body };
  }

  /** Bytes held in partial messages (for the bound tests). */
  get bufferedBytes(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.body.length;
    return n;
  }

  clear(): void { this.pending.clear(); }
}

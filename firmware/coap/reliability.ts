// Reliability layer (RFC 7252 §4.2, §4.3): our CON messages are retransmitted
// with exponential back-off until an ACK or RST arrives or MAX_RETRANSMIT is
// spent; our recent NON messages are remembered so a RST to one can be
// matched. The owner of each message (requests, notifications, separate
// responses) is told the outcome. Bounded: maxPendingExchanges CONs in flight
// (at most half of them to one peer: fair-share.ts), NON_MID_MEMORY NON
// message IDs.
import { Code, Type, encodeMessage, type CoapMessage } from './message';
import { firstBadCriticalOption } from './options';
import type { DeadlineOwner, Due } from './deadlines';
import { peerKey } from './transport';
import { CONS } from './fair-share';
import type { ClientExchange, ObservedRelation, Outgoing, OutgoingOwner, OutgoingSubject } from './exchange';
import type { StackContext } from './stack-context';
import type { Peer } from './api';

/** Bound on remembered NON message IDs we sent (so a RST to them can be matched). */
export const NON_MID_MEMORY = 32;

export class Reliability implements DeadlineOwner {
  /** Our CON messages awaiting ACK, by peer#MID (bound: maxPendingExchanges, half of them per peer). */
  private readonly outgoing = new Map<string, Outgoing>();
  /**
   * Our recent NON messages (peer#MID and what it was about), a ring of
   * NON_MID_MEMORY places allocated once: the oldest is forgotten first. A
   * request's owner is the request layer, a notification's the observe layer.
   */
  private readonly nonKeys: string[] = new Array<string>(NON_MID_MEMORY).fill('');
  private readonly nonSubjects: OutgoingSubject[] = new Array<OutgoingSubject>(NON_MID_MEMORY).fill(null);
  private nonNext = 0;
  /** Who hears of a RST to a NON request, and to a NON notification (set by the endpoint). */
  nonOwners: { request: OutgoingOwner; relation: OutgoingOwner } | null = null;

  constructor(private readonly ctx: StackContext) {}

  /**
   * Sends a CON and keeps retransmitting it; null when the bound on CONs in
   * flight is reached. `carry` hands over the back-off of a message it
   * replaces (a newer notification, RFC 7641 §4.5.2).
   */
  sendCon(peer: Peer, msg: CoapMessage, owner: OutgoingOwner, subject: OutgoingSubject, carry?: Outgoing): Outgoing | null {
    const { shares, limits, stats } = this.ctx;
    const pk = peerKey(peer);
    const overShare = shares.atShare(pk, CONS, limits.maxPendingExchanges);
    if (overShare || this.outgoing.size >= limits.maxPendingExchanges) {
      if (overShare) shares.refused();
      stats.exchangesFull++;
      return null;
    }
    const bytes = encodeMessage(msg);
    const out: Outgoing = {
      key: `${pk}#${msg.messageId}`,
      peerKey: pk,
      peer,
      messageId: msg.messageId,
      bytes,
      retransmits: carry ? carry.retransmits : 0,
      timeout: carry ? carry.timeout : this.initialTimeout(),
      due: Infinity,
      dueOwner: null,
      owner,
      subject,
    };
    this.outgoing.set(out.key, out);
    shares.take(pk, CONS);
    this.ctx.send(bytes, peer);
    this.ctx.deadlines.schedule(out, out.timeout, this);
    return out;
  }

  /** Sends a NON about a request of ours or a relation, and remembers its Message ID for a RST. */
  sendNon(peer: Peer, msg: CoapMessage, subject: ClientExchange | ObservedRelation): void {
    this.ctx.send(encodeMessage(msg), peer);
    const i = this.nonNext;
    this.nonNext = (i + 1) % NON_MID_MEMORY;
    this.nonKeys[i] = `${peerKey(peer)}#${msg.messageId}`;
    this.nonSubjects[i] = subject;
  }

  /** Stops retransmitting `out` (its owner no longer cares). */
  drop(out: Outgoing | null): void {
    if (!out) return;
    this.ctx.deadlines.cancel(out);
    this.forget(out);
  }

  private forget(out: Outgoing): void {
    if (this.outgoing.get(out.key) !== out) return;
    this.outgoing.delete(out.key);
    this.ctx.shares.release(out.peerKey, CONS);
  }

  /** CON messages awaiting their ACK. */
  get pending(): number {
    return this.outgoing.size;
  }

  /** An ACK or RST from `peerKey`: settles the CON (or NON) it answers. */
  onAckOrReset(msg: CoapMessage, fromKey: string): void {
    const key = `${fromKey}#${msg.messageId}`;
    const out = this.outgoing.get(key);
    const stats = this.ctx.stats;
    if (msg.type === Type.RST) {
      stats.resetsReceived++;
      if (out) {
        this.drop(out);
        this.ctx.safe(() => out.owner.reset(out.subject, out));
        return;
      }
      const i = this.nonKeys.indexOf(key);
      const subject = i >= 0 ? this.nonSubjects[i]! : null;
      if (subject && this.nonOwners) {
        const owner = 'kind' in subject ? this.nonOwners.request : this.nonOwners.relation;
        this.forgetNon(i);
        this.ctx.safe(() => owner.reset(subject, null));
        return;
      }
      stats.dropped++;
      return;
    }
    if (!out) {
      stats.dropped++;
      return;
    }
    // §5.4.1: a piggybacked response with an unrecognised critical option is rejected (silently: it is an ACK).
    if (msg.code !== Code.EMPTY && firstBadCriticalOption(msg) >= 0) {
      stats.badOptions++;
      stats.dropped++;
      return;
    }
    this.drop(out);
    this.ctx.safe(() => out.owner.acked(out, msg));
  }

  clear(): void {
    this.outgoing.clear();
    this.ctx.shares.clear(CONS);
    for (let i = 0; i < NON_MID_MEMORY; i++) this.forgetNon(i);
  }

  private forgetNon(i: number): void {
    this.nonKeys[i] = '';
    this.nonSubjects[i] = null;
  }

  /** ACK_TIMEOUT × a random factor in [1, ACK_RANDOM_FACTOR] (§4.8). */
  private initialTimeout(): number {
    const p = this.ctx.params;
    return p.ackTimeout * (1 + this.ctx.random.float() * (p.ackRandomFactor - 1));
  }

  /** The back-off of a CON in flight ran out: retransmit it, or give up. */
  expired(item: Due): void {
    const out = item as Outgoing;
    if (this.outgoing.get(out.key) !== out) return;
    if (out.retransmits >= this.ctx.params.maxRetransmit) {
      this.forget(out);
      this.ctx.stats.timeouts++;
      this.ctx.seam.unresponsive(out.peer);
      this.ctx.safe(() => out.owner.timedOut(out));
      return;
    }
    out.retransmits++;
    out.timeout *= 2;
    this.ctx.stats.retransmissions++;
    if (out.owner.retransmitting) this.ctx.safe(() => out.owner.retransmitting!(out));
    this.ctx.send(out.bytes, out.peer);
    this.ctx.deadlines.schedule(out, out.timeout, this);
  }
}

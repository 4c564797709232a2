// Observe layer (RFC 7641), both roles. As a server: relations keyed by peer
// and token, the Observe option on their responses, notifications (NON or
// CON; a newer CON replaces an unacknowledged one, §4.5.2; an error ends the
// relation, §4.2), and their end on RST, time-out, deregistration or by the
// application. As a client: the observations we hold, the freshness of their
// notifications (§3.4), and the rest of a notification sent in blocks.
// Bounded: maxObservations relations (at most half of them one peer's:
// fair-share.ts), maxClientObservations observations.
import { OptionNumber, Type, isSuccessCode, type CoapMessage, type CoapOption } from './message';
import { getBlock, getContentFormat, getLocationPath, getObserve, uintOption } from './options';
import { responseMessage } from './compose';
import { requestKey, type Blockwise } from './blockwise';
import { CoapCapacityError, CoapError, CoapResetError, CoapTimeoutError } from './errors';
import { toHex } from '../util/hex';
import type { Matcher } from './matcher';
import { RELATIONS } from './fair-share';
import type { Reliability } from './reliability';
import type { StackContext } from './stack-context';
import type {
  ClientExchange,
  ObservationRecord,
  ObservedRelation,
  ObserveAcceptor,
  Outgoing,
  OutgoingOwner,
  OutgoingSubject,
  ServerExchange,
} from './exchange';
import type { CoapResponse, KeptRelation, ObserveCancelReason, ObserveRelation, Peer, ResponseSpec } from './api';
import { peerKey } from './transport';

/** Observe sequence numbers are 24-bit. */
export const OBSERVE_SEQ_MASK = 0xffffff;

/** RFC 7641 §3.4: a notification is fresh if V2 follows V1 in 24-bit serial arithmetic, or 128 s have passed. */
export function isFreshNotification(v1: number, t1: number, v2: number, t2: number): boolean {
  return (v1 < v2 && v2 - v1 < 0x800000) || (v1 > v2 && v1 - v2 > 0x800000) || t2 > t1 + 128_000;
}

/** Fetches the rest of a notification sent in blocks (the request layer does it). */
export interface RestFetcher {
  fetchRest(obs: ObservationRecord, first: CoapMessage, peer: Peer): Promise<CoapResponse>;
}

/** Server-side relation (§4.1); the application holds it as an ObserveRelation. */
class Relation implements ObservedRelation {
  active = true;
  onCancel: ((reason: ObserveCancelReason) => void) | null = null;
  con: Outgoing | null = null;
  settle: ObservedRelation['settle'] = null;

  constructor(
    private readonly layer: ObserveLayer,
    readonly peer: Peer,
    readonly token: Uint8Array,
    readonly key: string,
    readonly peerKey: string,
    readonly bodyKey: string,
    readonly szx: number,
  ) {}

  notify(res: ResponseSpec, opts?: { confirmable?: boolean }): Promise<void> {
    return this.layer.notify(this, res, opts?.confirmable === true);
  }

  cancel(): void {
    this.layer.end(this, 'local');
  }
}

export class ObserveLayer implements ObserveAcceptor, OutgoingOwner {
  /** Server-side relations by peer#token (bound: maxObservations, half of them per peer). */
  private readonly relations = new Map<string, Relation>();
  /** Client-side observations held (bound: maxClientObservations); their tokens are in the matcher. */
  private observationCount = 0;
  private seq: number;
  fetcher: RestFetcher | null = null;

  constructor(
    private readonly ctx: StackContext,
    private readonly blockwise: Blockwise,
    private readonly reliability: Reliability,
    private readonly matcher: Matcher,
  ) {
    this.seq = ctx.observeSeqStart;
  }

  get relationCount(): number {
    return this.relations.size;
  }

  /** The last Observe sequence number handed out (kept across a deep sleep: the next notification must be newer). */
  get sequence(): number {
    return this.seq;
  }
  set sequence(v: number) {
    this.seq = v & OBSERVE_SEQ_MASK;
  }

  /** A live relation as a deep sleep keeps it; null for one that is not ours or has ended. */
  keep(rel: ObserveRelation): KeptRelation | null {
    if (!(rel instanceof Relation) || !rel.active || this.relations.get(rel.key) !== rel) return null;
    return { token: rel.token.slice(), szx: rel.szx, request: rel.bodyKey.slice(rel.peerKey.length) };
  }

  /** After a deep sleep, the relation keep() gave, with the same peer; null when the table has no room for it. */
  resume(peer: Peer, k: KeptRelation): ObserveRelation | null {
    if (this.ctx.closed || k.token.length < 1 || k.token.length > 8 || !(k.szx >= 0 && k.szx <= 6)) return null;
    const pk = peerKey(peer);
    const key = `${pk}#${toHex(k.token)}`;
    const { shares, limits } = this.ctx;
    if (this.relations.has(key) || this.relations.size >= limits.maxObservations || shares.atShare(pk, RELATIONS, limits.maxObservations))
      return null;
    const rel = new Relation(this, peer, k.token.slice(), key, pk, pk + k.request, k.szx);
    this.relations.set(key, rel);
    shares.take(pk, RELATIONS);
    return rel;
  }
  get clientObservationCount(): number {
    return this.observationCount;
  }

  // ------------------------------------------------------------ server

  accept(sx: ServerExchange): ObservedRelation | null {
    if (sx.relation) return sx.relation;
    if (sx.finished || this.ctx.closed) return null;
    const key = `${sx.peerKey}#${toHex(sx.message.token)}`;
    const existing = this.relations.get(key);
    if (existing) this.end(existing, 'deregister'); // a re-registration with the same token replaces it
    const { shares, limits, stats } = this.ctx;
    const overShare = shares.atShare(sx.peerKey, RELATIONS, limits.maxObservations);
    if (overShare || this.relations.size >= limits.maxObservations) {
      if (overShare) shares.refused();
      stats.observeRejected++;
      return null;
    }
    const szx = this.blockwise.responseSzx(sx.block2);
    const rel = new Relation(this, sx.peer, sx.message.token.slice(), key, sx.peerKey, requestKey(sx.peerKey, sx.message), szx);
    this.relations.set(key, rel);
    shares.take(sx.peerKey, RELATIONS);
    sx.relation = rel;
    return rel;
  }

  /** A GET with Observe=1 deregisters the relation of its token (§3.6). */
  deregister(sx: ServerExchange): void {
    const rel = this.relations.get(`${sx.peerKey}#${toHex(sx.message.token)}`);
    if (rel) this.end(rel, 'deregister');
  }

  /**
   * The Observe option for the response to `sx`, or none when the request has
   * no live relation or the response is an error (which ends the relation).
   */
  responseOptions(sx: ServerExchange, spec: ResponseSpec | null): CoapOption[] {
    const rel = sx.relation;
    if (!rel) return [];
    if (spec === null || !isSuccessCode(spec.code) || !rel.active) {
      if (rel.active) this.end(rel, 'local');
      sx.relation = null;
      return [];
    }
    this.ctx.stats.notificationsSent++;
    return [uintOption(OptionNumber.OBSERVE, this.nextSeq())];
  }

  notify(rel: Relation, res: ResponseSpec, confirmable: boolean): Promise<void> {
    if (!rel.active || this.ctx.closed) return Promise.reject(new CoapError('observe relation is not active'));
    const extra = [uintOption(OptionNumber.OBSERVE, this.nextSeq())];
    const spec = this.blockwise.slice(res, 0, rel.szx, false, rel.bodyKey, rel.peerKey)!;
    this.ctx.stats.notificationsSent++;
    const final = !isSuccessCode(res.code); // §4.2: an error notification ends the relation
    if (!confirmable) {
      this.reliability.sendNon(rel.peer, responseMessage(Type.NON, this.ctx.newMid(), rel.token, spec, extra), rel);
      if (final) this.end(rel, 'local');
      return Promise.resolve();
    }
    const msg = responseMessage(Type.CON, this.ctx.newMid(), rel.token, spec, extra);
    // §4.5.2: a newer CON notification replaces an unacknowledged one and inherits its back-off.
    const prev = rel.con;
    const prevSettle = rel.settle;
    if (prev) this.reliability.drop(prev);
    rel.con = null;
    rel.settle = null;
    prevSettle?.resolve();
    return new Promise<void>((resolve, reject) => {
      const out = this.reliability.sendCon(rel.peer, msg, this, rel, prev ?? undefined);
      if (!out) {
        reject(new CoapCapacityError('too many pending exchanges'));
        return;
      }
      rel.con = out;
      rel.settle = { resolve, reject };
      // The relation ends now; the error notification itself is still retransmitted until ACKed.
      if (final) this.end(rel, 'local', true);
    });
  }

  /**
   * Ends a relation once and tells its owner why. `keepInFlight` leaves its
   * last CON notification retransmitting (an error notification, §4.2).
   */
  end(rel: ObservedRelation, reason: ObserveCancelReason, keepInFlight = false): void {
    if (!rel.active) return;
    (rel as Relation).active = false;
    if (this.relations.get(rel.key) === rel) {
      this.relations.delete(rel.key);
      this.ctx.shares.release(rel.peerKey, RELATIONS);
    }
    if (!keepInFlight) {
      if (rel.con) {
        this.reliability.drop(rel.con);
        rel.con = null;
      }
      const s = rel.settle;
      rel.settle = null;
      if (s && reason === 'closed') s.reject(new CoapError('endpoint closed'));
      else if (s) s.resolve();
    }
    const cb = rel.onCancel;
    if (cb) this.ctx.safe(() => cb(reason));
  }

  // The fate of our CON notifications and separate responses (subject: their relation, if any).

  acked(out: Outgoing): void {
    const rel = out.subject as ObservedRelation | null;
    if (!rel || rel.con !== out) return;
    rel.con = null;
    const s = rel.settle;
    rel.settle = null;
    s?.resolve();
  }

  reset(subject: OutgoingSubject, out: Outgoing | null): void {
    const rel = subject as ObservedRelation | null;
    if (!rel) return;
    let s: ObservedRelation['settle'] = null;
    if (out && out === rel.con) {
      s = rel.settle;
      rel.settle = null;
      rel.con = null;
    }
    this.end(rel, 'reset');
    s?.reject(new CoapResetError('notification reset by peer'));
  }

  timedOut(out: Outgoing): void {
    const rel = out.subject as ObservedRelation | null;
    if (!rel) return;
    let s: ObservedRelation['settle'] = null;
    if (rel.con === out) {
      s = rel.settle;
      rel.settle = null;
      rel.con = null;
    }
    this.end(rel, 'timeout');
    s?.reject(new CoapTimeoutError('confirmable notification not acknowledged'));
  }

  // ------------------------------------------------------------ client

  /** Room for one more observation of ours. */
  canObserve(): boolean {
    return this.observationCount < this.ctx.limits.maxClientObservations;
  }

  /** Notes the observation when the first response to a registration carries Observe (§3.1). */
  registered(ex: ClientExchange, msg: CoapMessage): void {
    if (!ex.onNotify || ex.observation || ex.b2Next) return;
    const seq = getObserve(msg);
    if (seq === undefined || !isSuccessCode(msg.code)) return;
    ex.observation = {
      kind: 'observation',
      key: `${ex.peerKey}#${ex.tokenHex}`,
      peer: ex.peer,
      token: ex.token,
      req: ex.req,
      lastSeq: seq,
      lastTime: this.ctx.timers.now(),
      onNotify: ex.onNotify,
    };
  }

  /**
   * The registering exchange has released the registration's token (it is
   * done, or asks for the rest of the body with a fresh token): the
   * observation holds the token from now on, so notifications reach it.
   */
  takeOver(ex: ClientExchange): void {
    const obs = ex.observation;
    if (!obs) return;
    ex.observation = null;
    if (this.matcher.claim(obs.key, obs)) this.observationCount++;
  }

  /** Forgets an observation; true when it was held. */
  forget(key: string): boolean {
    const owner = this.matcher.owner(key);
    if (owner?.kind !== 'observation') return false;
    this.matcher.release(key, owner);
    this.observationCount--;
    return true;
  }

  receiveNotification(obs: ObservationRecord, msg: CoapMessage, peer: Peer): void {
    const stats = this.ctx.stats;
    const now = this.ctx.timers.now();
    const seq = getObserve(msg);
    if (!isSuccessCode(msg.code) || seq === undefined) {
      // §3.2: a notification without Observe or with an error code ends the observation.
      this.forget(obs.key);
      stats.notificationsReceived++;
      this.deliver(obs, toResponse(msg, msg.code, msg.payload.slice(), peer));
      return;
    }
    if (!isFreshNotification(obs.lastSeq, obs.lastTime, seq, now)) {
      stats.staleNotifications++;
      stats.dropped++;
      return;
    }
    obs.lastSeq = seq;
    obs.lastTime = now;
    stats.notificationsReceived++;
    const b2 = getBlock(msg, OptionNumber.BLOCK2);
    if (b2 && b2.more && b2.num === 0 && this.fetcher) {
      this.fetcher.fetchRest(obs, msg, peer).then(
        (res) => {
          if (this.matcher.owner(obs.key) === obs && obs.lastSeq === seq) obs.onNotify(res);
        },
        (e: Error) => this.ctx.log.warn(`coap: fetching notification body failed: ${e.message}`),
      );
      return;
    }
    this.deliver(obs, toResponse(msg, msg.code, msg.payload.slice(), peer));
  }

  /** Ends every relation ('closed') and forgets every observation. */
  close(): void {
    for (const rel of [...this.relations.values()]) this.end(rel, 'closed');
    this.observationCount = 0;
  }

  private deliver(obs: ObservationRecord, res: CoapResponse): void {
    this.ctx.safe(() => obs.onNotify(res));
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & OBSERVE_SEQ_MASK;
    return this.seq;
  }
}

/** A CoapResponse from the first message of a response and the whole payload. */
export function toResponse(first: CoapMessage, code: number, payload: Uint8Array, peer: Peer): CoapResponse {
  return {
    code,
    payload,
    contentFormat: getContentFormat(first),
    locationPath: getLocationPath(first),
    options: first.options.map((o) => ({ number: o.number, value: o.value.slice() })),
    observe: getObserve(first),
    peer,
  };
}

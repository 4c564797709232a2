// Requests we send (RFC 7252 §5 client side): one ClientExchange per logical
// request from its first to its last block. NSTART outstanding requests per
// peer (§4.7), the rest queued (bound: maxQueuedRequests per peer); the wait
// for a separate or NON response (responseTimeout) and the caller's own
// deadline share one Deadlines timer. Each response goes through the
// block-wise layer (more blocks to send or fetch) and the observe layer (an
// Observe registration) before the caller's promise settles.
import { Code, Type, type CoapMessage, type CoapOption } from './message';
import { EMPTY, requestOptions } from './compose';
import { CoapCapacityError, CoapError, CoapResetError, CoapTimeoutError } from './errors';
import type { DeadlineOwner, Due } from './deadlines';
import { peerKey } from './transport';
import { toHex } from '../util/hex';
import { toResponse, type RestFetcher } from './observe';
import { RequestResponseLayer, type LowerLayers } from './layers';
import type { StackContext } from './stack-context';
import type { ClientExchange, ObservationRecord, Outgoing, OutgoingOwner, OutgoingSubject, TokenOwner } from './exchange';
import type { ClientObservation, CoapResponse, Peer, RequestOptions } from './api';

interface PeerQueue {
  active: number;
  waiting: ClientExchange[];
}

/** Placeholder until the request's promise hands over its own resolve/reject. */
function settleLater(): void {
  /* replaced before anything settles */
}

export class Requests extends RequestResponseLayer implements OutgoingOwner, RestFetcher, DeadlineOwner {
  /** NSTART bookkeeping per peer (bound: maxQueuedRequests waiting per peer). */
  private readonly queues = new Map<string, PeerQueue>();

  constructor(ctx: StackContext, lower: LowerLayers) {
    super(ctx, lower);
  }

  request(peer: Peer, req: RequestOptions, token: Uint8Array | null, onNotify: ((r: CoapResponse) => void) | null): Promise<CoapResponse> {
    if (this.ctx.closed) return Promise.reject(new CoapError('endpoint closed'));
    let options: CoapOption[];
    try {
      options = requestOptions(req);
    } catch (e) {
      return Promise.reject(new CoapError(`bad request options: ${(e as Error).message}`));
    }
    const ex = this.newExchange(peer, token ?? this.matcher.newToken(), req, options, req.payload ?? EMPTY);
    ex.onNotify = onNotify;
    const p = new Promise<CoapResponse>((resolve, reject) => {
      ex.resolve = resolve;
      ex.reject = reject;
    });
    let q = this.queues.get(ex.peerKey);
    if (!q) {
      q = { active: 0, waiting: [] };
      this.queues.set(ex.peerKey, q);
    }
    if (q.active < this.ctx.params.nstart) {
      q.active++;
      this.begin(ex);
    } else if (q.waiting.length >= this.ctx.limits.maxQueuedRequests) {
      this.ctx.stats.queueFull++;
      ex.done = true;
      ex.reject(new CoapCapacityError('request queue full'));
    } else {
      q.waiting.push(ex);
    }
    return p;
  }

  /** Observe registration (RFC 7641 §3.1); cancel() deregisters actively (§3.6) or forgets passively. */
  async observeAt(peer: Peer, req: RequestOptions, onNotify: (res: CoapResponse) => void): Promise<ClientObservation> {
    if (!this.observe.canObserve()) throw new CoapError('too many client observations');
    const token = this.matcher.newToken();
    const response = await this.request(peer, { ...req, observe: 0 }, token, onNotify);
    const key = `${peerKey(peer)}#${toHex(token)}`;
    return {
      response,
      cancel: async (opts?: { passive?: boolean }) => {
        const had = this.observe.forget(key);
        if (!had || opts?.passive || this.ctx.closed) return;
        // RFC 7641 §3.6: GET with Observe=1 and the same token.
        await this.request(peer, { ...req, observe: 1, payload: undefined }, token, null);
      },
    };
  }

  /** A CON/NON response or notification the matcher matched to a token of ours. */
  receiveResponse(owner: TokenOwner, msg: CoapMessage, peer: Peer): void {
    if (owner.kind === 'observation') {
      this.observe.receiveNotification(owner, msg, peer);
      return;
    }
    if (owner.done) return;
    this.reliability.drop(owner.con); // the response implies the ACK we missed
    owner.con = null;
    this.respond(owner, msg);
  }

  // The fate of our CON request messages.

  acked(out: Outgoing, msg: CoapMessage): void {
    const ex = out.subject as ClientExchange;
    if (ex.done || ex.con !== out) return;
    ex.con = null;
    if (msg.code === Code.EMPTY) {
      this.awaitResponse(ex);
      return;
    } // a separate response follows (§5.2.2)
    this.respond(ex, msg);
  }

  reset(subject: OutgoingSubject): void {
    this.fail(subject as ClientExchange, new CoapResetError('request reset by peer'));
  }

  timedOut(out: Outgoing): void {
    this.fail(out.subject as ClientExchange, new CoapTimeoutError('no acknowledgement after MAX_RETRANSMIT'));
  }

  retransmitting(out: Outgoing): void {
    (out.subject as ClientExchange).req.onRetransmit?.(out.retransmits, this.ctx.params.maxRetransmit, out.timeout);
  }

  /** GETs the remaining Block2 blocks of a notification (RFC 7959 §3.4) with a fresh token. */
  fetchRest(obs: ObservationRecord, first: CoapMessage, peer: Peer): Promise<CoapResponse> {
    const req: RequestOptions = { ...obs.req, method: Code.GET, observe: undefined, contentFormat: undefined, payload: undefined };
    return new Promise<CoapResponse>((resolve, reject) => {
      const ex = this.newExchange(peer, this.matcher.newToken(), req, requestOptions(req), EMPTY);
      ex.resolve = resolve;
      ex.reject = reject;
      this.blockwise.startFromFirstBlock(ex, first);
      // Not queued behind NSTART: it completes an exchange the peer started. Bounded by maxPendingExchanges.
      this.matcher.claim(`${ex.peerKey}#${ex.tokenHex}`, ex);
      this.sendBlock(ex);
    });
  }

  /** Requests waiting for an NSTART slot: in all, and for the peer with most. */
  queued(): { all: number; most: number } {
    let all = 0;
    let most = 0;
    for (const q of this.queues.values()) {
      all += q.waiting.length;
      if (q.waiting.length > most) most = q.waiting.length;
    }
    return { all, most };
  }

  /** Fails every request in flight or queued ('endpoint closed'). */
  close(): void {
    for (const q of this.queues.values()) {
      for (const ex of q.waiting) {
        ex.done = true;
        ex.reject(new CoapError('endpoint closed'));
      }
    }
    this.queues.clear();
    for (const owner of this.matcher.owners()) {
      if (owner.kind === 'request') this.fail(owner, new CoapError('endpoint closed'));
    }
  }

  // ---------------------------------------------------------------- flow

  private newExchange(peer: Peer, token: Uint8Array, req: RequestOptions, options: CoapOption[], body: Uint8Array): ClientExchange {
    return {
      kind: 'request',
      peer,
      peerKey: peerKey(peer),
      token,
      tokenHex: toHex(token),
      req,
      options,
      body,
      messageId: -1,
      con: null,
      due: Infinity,
      dueOwner: null,
      deadline: Infinity,
      responseDue: Infinity,
      b1Offset: 0,
      b1Len: 0,
      b1Szx: this.ctx.limits.blockSzx,
      parts: null,
      received: 0,
      first: null,
      b2Next: req.block2 ? { num: req.block2.num, szx: req.block2.szx } : null,
      onNotify: null,
      observation: null,
      started: false,
      done: false,
      resolve: settleLater,
      reject: settleLater,
    };
  }

  private begin(ex: ClientExchange): void {
    ex.started = true;
    if (!this.matcher.claim(`${ex.peerKey}#${ex.tokenHex}`, ex)) {
      this.fail(ex, new CoapError('token in use'));
      return;
    }
    if (ex.req.timeout !== undefined) {
      ex.deadline = this.ctx.timers.now() + ex.req.timeout;
      this.ctx.deadlines.at(ex, ex.deadline, this);
    }
    this.sendBlock(ex);
  }

  /** Sends the request message for the current Block1/Block2 position. */
  private sendBlock(ex: ClientExchange): void {
    const { options, payload } = this.blockwise.requestBlock(ex);
    const confirmable = ex.req.confirmable !== false;
    const msg: CoapMessage = {
      type: confirmable ? Type.CON : Type.NON,
      code: ex.req.method,
      messageId: this.ctx.newMid(),
      token: ex.token,
      options,
      payload,
    };
    ex.messageId = msg.messageId;
    try {
      if (confirmable) {
        ex.con = this.reliability.sendCon(ex.peer, msg, this, ex);
        if (!ex.con) this.fail(ex, new CoapCapacityError('too many pending exchanges'));
      } else {
        this.reliability.sendNon(ex.peer, msg, ex);
        this.awaitResponse(ex);
      }
    } catch (e) {
      this.fail(ex, new CoapError(`cannot encode request: ${(e as Error).message}`));
    }
  }

  private awaitResponse(ex: ClientExchange): void {
    ex.responseDue = this.ctx.timers.now() + this.ctx.limits.responseTimeout;
    this.rearm(ex);
  }

  private rearm(ex: ClientExchange): void {
    this.ctx.deadlines.at(ex, Math.min(ex.deadline, ex.responseDue), this);
  }

  /** The response wait or the request's own deadline ran out. */
  expired(item: Due): void {
    const ex = item as ClientExchange;
    const now = this.ctx.timers.now();
    if (ex.deadline <= now) {
      this.fail(ex, new CoapTimeoutError('request deadline passed'));
      return;
    }
    if (ex.responseDue <= now) {
      this.ctx.stats.timeouts++;
      this.fail(ex, new CoapTimeoutError('no response within the response timeout'));
      return;
    }
    this.rearm(ex);
  }

  /** A response (piggybacked or separate) to the block of `ex` in flight. */
  private respond(ex: ClientExchange, msg: CoapMessage): void {
    ex.responseDue = Infinity;
    this.rearm(ex);
    if (this.blockwise.continueBlock1(ex, msg)) {
      this.sendBlock(ex);
      return;
    }
    this.observe.registered(ex, msg);
    const outcome = this.blockwise.collect(ex, msg);
    if (outcome.kind === 'failed') {
      this.fail(ex, new CoapError(outcome.reason));
      return;
    }
    if (outcome.kind === 'next-block') {
      // The follow-ups of an Observe registration must not look like a re-registration: a fresh token.
      if (ex.observation) this.retoken(ex);
      this.sendBlock(ex);
      return;
    }
    const res = toResponse(outcome.first, msg.code, outcome.payload, ex.peer);
    this.finish(ex);
    this.observe.takeOver(ex);
    ex.resolve(res);
  }

  private retoken(ex: ClientExchange): void {
    this.matcher.release(`${ex.peerKey}#${ex.tokenHex}`, ex);
    this.observe.takeOver(ex);
    ex.token = this.matcher.newToken();
    ex.tokenHex = toHex(ex.token);
    this.matcher.claim(`${ex.peerKey}#${ex.tokenHex}`, ex);
  }

  private fail(ex: ClientExchange, err: Error): void {
    if (ex.done) return;
    this.finish(ex);
    ex.observation = null; // a registration that failed holds nothing
    ex.reject(err);
  }

  private finish(ex: ClientExchange): void {
    ex.done = true;
    this.reliability.drop(ex.con);
    ex.con = null;
    this.ctx.deadlines.cancel(ex);
    this.matcher.release(`${ex.peerKey}#${ex.tokenHex}`, ex);
    this.releaseSlot(ex);
  }

  /** Frees the NSTART slot of a finished request and starts the next queued one. */
  private releaseSlot(ex: ClientExchange): void {
    if (!ex.started) return;
    ex.started = false;
    const q = this.queues.get(ex.peerKey);
    if (!q) return;
    q.active--;
    const next = q.waiting.shift();
    if (next) {
      q.active++;
      this.begin(next);
    }
    if (q.active === 0 && q.waiting.length === 0) this.queues.delete(ex.peerKey);
  }
}

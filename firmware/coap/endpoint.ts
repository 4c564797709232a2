// A CoAP endpoint over one datagram transport (RFC 7252 message and
// request/response layers, RFC 7959 block-wise, RFC 7641 observe), both
// client and server. Platform-free: time, randomness and I/O come through
// the ports. Nothing a peer sends throws past onReceive: malformed input is
// answered (RST, 4.0x) or dropped and counted.
import {
  Code, OptionNumber, Type, decodeMessage, encodeMessage, isRequestCode, isResponseCode, isSuccessCode,
  type CoapMessage, type CoapOption,
} from './message';
import {
  encodeBlock, firstBadCriticalOption, findOption, getAccept, getBlock, getContentFormat, getLocationPath,
  getObserve, getSize1, getUriPath, getUriQuery, stringOption, szxToSize, uintOption, type BlockValue,
} from './options';
import { exchangeLifetime, maxTransmitWait, nonLifetime, resolveParams, type TransmissionParameters } from './params';
import { DedupCache, type DedupEntry } from './dedup';
import { SessionTable, concat, requestKey, type Block1Session, type Block2Body } from './blockwise';
import { OBSERVE_SEQ_MASK, isFreshNotification } from './observe';
import { CoapError, CoapResetError, CoapTimeoutError } from './errors';
import type {
  ClientObservation, CoapResponse, EndpointOptions, EndpointStats, IncomingRequest, ObserveCancelReason,
  ObserveRelation, Peer, RequestHandler, RequestOptions, ResponseSpec,
} from './api';
import type { DatagramTransport, Logger, Random, TimerHandle, Timers } from '../platform/ports';
import { toHex } from '../util/hex';

export type {
  ClientObservation, CoapResponse, EndpointOptions, EndpointStats, IncomingRequest, ObserveCancelReason,
  ObserveRelation, Peer, RequestHandler, RequestOptions, ResponseSpec,
} from './api';
export { CoapError, CoapResetError, CoapTimeoutError } from './errors';

const EMPTY: Uint8Array = new Uint8Array(0);

/** Bound on remembered NON message IDs we sent (so a RST to them can be matched). */
const NON_MID_MEMORY = 32;


function peerKeyOf(address: string, port: number): string { return `${address}/${port}`; }

/** Who is told about the fate of a CON message we sent. */
interface ExchangeOwner {
  onAck(ex: Outgoing, msg: CoapMessage): void;
  /** ex is null when the RST matched a NON message we sent. */
  onReset(ex: Outgoing | null): void;
  onTimeout(ex: Outgoing): void;
}

/** A CON message awaiting its ACK (RFC 7252 §4.2), retransmitted with exponential back-off. */
interface Outgoing {
  key: string;
  peer: Peer;
  messageId: number;
  bytes: Uint8Array;
  retransmits: number;
  timeout: number;
  timer: TimerHandle | null;
  owner: ExchangeOwner;
}

interface PeerQueue { active: number; waiting: ClientRequest[] }

/** One logical request we sent (all its Block1/Block2 exchanges). */
class ClientRequest implements ExchangeOwner {
  readonly peerKey: string;
  tokenHex: string;
  ex: Outgoing | null = null;
  messageId = -1;
  respTimer: TimerHandle | null = null;
  deadlineTimer: TimerHandle | null = null;
  done = false;
  started = false;
  /** Block1: offset of the block in flight, its length, current SZX. */
  b1Offset = 0;
  b1Len = 0;
  b1Szx: number;
  /** Block2 reassembly. */
  parts: Uint8Array[] = [];
  received = 0;
  first: CoapMessage | null = null;
  b2Next: { num: number; szx: number } | null = null;
  /** Observe registration: callback and whether the observation was recorded. */
  onNotify: ((res: CoapResponse) => void) | null = null;
  observeToken: Uint8Array | null = null;
  resolve!: (r: CoapResponse) => void;
  reject!: (e: Error) => void;

  constructor(
    readonly ep: CoapEndpoint,
    readonly peer: Peer,
    public token: Uint8Array,
    readonly req: RequestOptions,
    readonly baseOptions: CoapOption[],
    readonly body: Uint8Array,
    szx: number,
  ) {
    this.peerKey = peerKeyOf(peer.address, peer.port);
    this.tokenHex = toHex(token);
    this.b1Szx = szx;
  }

  onAck(ex: Outgoing, msg: CoapMessage): void { this.ep._clientAck(this, ex, msg); }
  onReset(): void { this.ep._clientFail(this, new CoapResetError('request reset by peer')); }
  onTimeout(): void { this.ep._clientFail(this, new CoapTimeoutError('no acknowledgement after MAX_RETRANSMIT')); }
}

/** A separate (CON) response we sent; only its relation cares about its fate. */
class SeparateResponse implements ExchangeOwner {
  constructor(readonly relation: Relation | null) {}
  onAck(): void {}
  onReset(): void { this.relation?.ep._cancelRelation(this.relation, 'reset'); }
  onTimeout(): void { this.relation?.ep._cancelRelation(this.relation, 'timeout'); }
}

/** Server-side observe relation (RFC 7641 §4.1), keyed by peer + token. */
class Relation implements ObserveRelation, ExchangeOwner {
  active = true;
  onCancel: ((reason: ObserveCancelReason) => void) | null = null;
  ex: Outgoing | null = null;
  settle: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(
    readonly ep: CoapEndpoint,
    readonly peer: Peer,
    readonly token: Uint8Array,
    readonly key: string,
    readonly bodyKey: string,
    readonly szx: number,
  ) {}

  notify(res: ResponseSpec, opts?: { confirmable?: boolean }): Promise<void> {
    return this.ep._notify(this, res, opts?.confirmable === true);
  }

  cancel(): void { this.ep._cancelRelation(this, 'local'); }

  onAck(): void {
    this.ex = null;
    const s = this.settle;
    this.settle = null;
    s?.resolve();
  }

  /** ex is null for a RST to a NON notification. */
  onReset(ex: Outgoing | null): void {
    let s: Relation['settle'] = null;
    if (ex && ex === this.ex) { s = this.settle; this.settle = null; this.ex = null; }
    this.ep._cancelRelation(this, 'reset');
    s?.reject(new CoapResetError('notification reset by peer'));
  }

  onTimeout(): void {
    this.ex = null;
    const s = this.settle;
    this.settle = null;
    this.ep._cancelRelation(this, 'timeout');
    s?.reject(new CoapTimeoutError('confirmable notification not acknowledged'));
  }
}

/** Client-side observation (RFC 7641 §3): freshness state and callback. */
interface ClientObs {
  key: string;
  peer: Peer;
  token: Uint8Array;
  req: RequestOptions;
  lastSeq: number;
  lastTime: number;
  onNotify: (res: CoapResponse) => void;
}

/** One request we received, from arrival to its (piggybacked or separate) response. */
class ServerExchange implements IncomingRequest {
  readonly method: number;
  readonly path: string[];
  readonly query: string[];
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly observe?: number;
  payload: Uint8Array = EMPTY;
  relation: Relation | null = null;
  block1Echo: BlockValue | null = null;
  block2: BlockValue | undefined;
  separateTimer: TimerHandle | null = null;
  finished = false;

  constructor(
    readonly ep: CoapEndpoint,
    readonly message: CoapMessage,
    readonly peer: Peer,
    readonly peerKey: string,
    readonly entry: DedupEntry | null,
  ) {
    this.method = message.code;
    this.path = getUriPath(message);
    this.query = getUriQuery(message);
    this.contentFormat = getContentFormat(message);
    this.accept = getAccept(message);
    this.observe = getObserve(message);
  }

  acceptObserve(): ObserveRelation | null { return this.ep._acceptObserve(this); }
}

function isThenable(x: unknown): x is PromiseLike<ResponseSpec | null> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

export class CoapEndpoint {
  onRequest: RequestHandler | null = null;
  readonly stats: EndpointStats = {
    received: 0, sent: 0, retransmissions: 0, duplicates: 0, dropped: 0, formatErrors: 0, resetsSent: 0,
    resetsReceived: 0, badOptions: 0, timeouts: 0, handlerRuns: 0, handlerErrors: 0, separateResponses: 0,
    dedupFull: 0, dedupEvicted: 0, queueFull: 0, exchangesFull: 0, blockSessionsFull: 0, observeRejected: 0,
    notificationsSent: 0, notificationsReceived: 0, staleNotifications: 0,
  };

  readonly params: TransmissionParameters;
  private readonly transport: DatagramTransport;
  private readonly timers: Timers;
  private readonly random: Random;
  private readonly log: Logger;
  private readonly blockSzx: number;
  private readonly maxReassemblySize: number;
  private readonly maxObservations: number;
  private readonly maxClientObservations: number;
  private readonly separateResponseDelay: number;
  private readonly maxPendingExchanges: number;
  private readonly maxQueuedRequests: number;
  private readonly responseTimeout: number;
  private readonly tokenLength: number;
  private readonly exchangeLifetime: number;
  private readonly nonLifetime: number;

  private nextMid: number;
  private observeSeq: number;
  private closed = false;
  /** Our CON messages awaiting ACK, by peer#MID (bound: maxPendingExchanges). */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Our recent NON messages, by peer#MID, so a RST can be matched (bound: NON_MID_MEMORY). */
  private readonly nonMids = new Map<string, ExchangeOwner>();
  /** Requests awaiting a response, by peer#token (bound: nstart per peer). */
  private readonly pending = new Map<string, ClientRequest>();
  /** NSTART bookkeeping per peer (bound: maxQueuedRequests waiting per peer). */
  private readonly queues = new Map<string, PeerQueue>();
  private readonly dedup: DedupCache;
  private readonly block1Sessions: SessionTable<Block1Session>;
  private readonly block2Bodies: SessionTable<Block2Body>;
  /** Server-side observe relations by peer#token (bound: maxObservations). */
  private readonly relations = new Map<string, Relation>();
  /** Client-side observations by peer#token (bound: maxClientObservations). */
  private readonly clientObs = new Map<string, ClientObs>();
  /** Requests whose handler is still running (so close() can stop their timers). */
  private readonly inProgress = new Set<ServerExchange>();

  constructor(opts: EndpointOptions) {
    this.transport = opts.transport;
    this.timers = opts.timers;
    this.random = opts.random;
    this.log = opts.log;
    this.params = resolveParams(opts.params);
    this.blockSzx = opts.blockSzx ?? 6;
    if (!(this.blockSzx >= 0 && this.blockSzx <= 6)) throw new RangeError('blockSzx must be 0..6');
    this.maxReassemblySize = opts.maxReassemblySize ?? 65536;
    this.maxObservations = opts.maxObservations ?? 16;
    this.maxClientObservations = opts.maxClientObservations ?? 8;
    this.separateResponseDelay = opts.separateResponseDelay ?? 1000;
    this.maxPendingExchanges = opts.maxPendingExchanges ?? 32;
    this.maxQueuedRequests = opts.maxQueuedRequests ?? 16;
    this.responseTimeout = opts.responseTimeout ?? maxTransmitWait(this.params);
    this.tokenLength = opts.tokenLength ?? 4;
    if (!(this.tokenLength >= 1 && this.tokenLength <= 8)) throw new RangeError('tokenLength must be 1..8');
    this.exchangeLifetime = exchangeLifetime(this.params);
    this.nonLifetime = nonLifetime(this.params);
    this.dedup = new DedupCache(opts.dedupCapacity ?? 128);
    const sessions = opts.maxBlockSessions ?? 4;
    const sessionTimeout = opts.blockSessionTimeout ?? 60_000;
    this.block1Sessions = new SessionTable<Block1Session>(sessions, sessionTimeout);
    this.block2Bodies = new SessionTable<Block2Body>(sessions, sessionTimeout);
    const r = this.random.bytes(5);
    this.nextMid = (r[0] << 8) | r[1];
    this.observeSeq = (r[2] << 16) | (r[3] << 8) | r[4];
    this.transport.onReceive = (data, address, port) => this.receive(data, address, port);
  }

  /** Number of server-side observe relations (for the lead's diagnostics and tests). */
  get observationCount(): number { return this.relations.size; }

  // ---------------------------------------------------------------- client API

  request(peer: Peer, req: RequestOptions): Promise<CoapResponse> {
    return this.startRequest(peer, req, null, null);
  }

  async observe(peer: Peer, req: RequestOptions, onNotify: (res: CoapResponse) => void): Promise<ClientObservation> {
    if (this.clientObs.size >= this.maxClientObservations) {
      throw new CoapError('too many client observations');
    }
    const token = this.newToken();
    const response = await this.startRequest(peer, { ...req, observe: 0 }, token, onNotify);
    const key = `${peerKeyOf(peer.address, peer.port)}#${toHex(token)}`;
    return {
      response,
      cancel: async (opts?: { passive?: boolean }) => {
        const had = this.clientObs.delete(key);
        if (!had || opts?.passive || this.closed) return;
        // RFC 7641 §3.6: GET with Observe=1 and the same token.
        await this.startRequest(peer, { ...req, observe: 1, payload: undefined }, token, null);
      },
    };
  }

  /** Cancel pending exchanges and relations (rejecting their promises), stop timers; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.transport.onReceive) this.transport.onReceive = null;
    for (const rel of [...this.relations.values()]) this._cancelRelation(rel, 'closed');
    for (const ex of this.outgoing.values()) {
      if (ex.timer !== null) this.timers.clearTimeout(ex.timer);
      const o = ex.owner;
      if (o instanceof Relation && o.settle) { const st = o.settle; o.settle = null; st.reject(new CoapError('endpoint closed')); }
    }
    this.outgoing.clear();
    for (const q of this.queues.values()) {
      for (const cr of q.waiting) { cr.done = true; cr.reject(new CoapError('endpoint closed')); }
    }
    this.queues.clear();
    for (const cr of [...this.pending.values()]) this._clientFail(cr, new CoapError('endpoint closed'));
    for (const sx of this.inProgress) if (sx.separateTimer !== null) this.timers.clearTimeout(sx.separateTimer);
    this.inProgress.clear();
    this.clientObs.clear();
    this.nonMids.clear();
    this.dedup.clear();
    this.block1Sessions.clear();
    this.block2Bodies.clear();
  }

  // ---------------------------------------------------------------- sending

  private newMid(): number {
    this.nextMid = (this.nextMid + 1) & 0xffff;
    return this.nextMid;
  }

  private newToken(): Uint8Array {
    for (;;) {
      const t = this.random.bytes(this.tokenLength);
      const h = toHex(t);
      let clash = false;
      for (const k of this.pending.keys()) if (k.endsWith(`#${h}`)) { clash = true; break; }
      for (const k of this.clientObs.keys()) if (k.endsWith(`#${h}`)) { clash = true; break; }
      if (!clash) return t;
    }
  }

  private sendBytes(bytes: Uint8Array, peer: Peer): void {
    this.stats.sent++;
    try {
      this.transport.send(bytes, peer.address, peer.port);
    } catch (e) {
      this.log.warn(`coap: send to ${peer.address}:${peer.port} failed: ${(e as Error).message}`);
    }
  }

  private sendEmpty(type: number, messageId: number, peer: Peer): Uint8Array {
    const bytes = encodeMessage({ type, code: Code.EMPTY, messageId, token: EMPTY, options: [], payload: EMPTY });
    if (type === Type.RST) this.stats.resetsSent++;
    this.sendBytes(bytes, peer);
    return bytes;
  }

  private initialTimeout(): number {
    const p = this.params;
    return p.ackTimeout * (1 + this.random.float() * (p.ackRandomFactor - 1));
  }

  /** Send a CON and retransmit it until ACK/RST/timeout; null when the bound on pending exchanges is hit. */
  private sendCon(peer: Peer, msg: CoapMessage, owner: ExchangeOwner, carry?: Outgoing): Outgoing | null {
    if (this.outgoing.size >= this.maxPendingExchanges) {
      this.stats.exchangesFull++;
      return null;
    }
    const bytes = encodeMessage(msg);
    const ex: Outgoing = {
      key: `${peerKeyOf(peer.address, peer.port)}#${msg.messageId}`,
      peer, messageId: msg.messageId, bytes,
      retransmits: carry ? carry.retransmits : 0,
      timeout: carry ? carry.timeout : this.initialTimeout(),
      timer: null, owner,
    };
    this.outgoing.set(ex.key, ex);
    this.sendBytes(bytes, peer);
    ex.timer = this.timers.setTimeout(() => this.retransmit(ex), ex.timeout);
    return ex;
  }

  private retransmit(ex: Outgoing): void {
    ex.timer = null;
    if (this.outgoing.get(ex.key) !== ex) return;
    if (ex.retransmits >= this.params.maxRetransmit) {
      this.outgoing.delete(ex.key);
      this.stats.timeouts++;
      this.safe(() => ex.owner.onTimeout(ex));
      return;
    }
    ex.retransmits++;
    ex.timeout *= 2;
    this.stats.retransmissions++;
    this.sendBytes(ex.bytes, ex.peer);
    ex.timer = this.timers.setTimeout(() => this.retransmit(ex), ex.timeout);
  }

  private dropOutgoing(ex: Outgoing | null): void {
    if (!ex) return;
    if (ex.timer !== null) this.timers.clearTimeout(ex.timer);
    ex.timer = null;
    if (this.outgoing.get(ex.key) === ex) this.outgoing.delete(ex.key);
  }

  private rememberNon(peerKey: string, mid: number, owner: ExchangeOwner): void {
    if (this.nonMids.size >= NON_MID_MEMORY) {
      for (const k of this.nonMids.keys()) { this.nonMids.delete(k); break; }
    }
    this.nonMids.set(`${peerKey}#${mid}`, owner);
  }

  private safe(f: () => void): void {
    try { f(); } catch (e) { this.log.error(`coap: callback threw: ${(e as Error).message}`); }
  }

  // ---------------------------------------------------------------- receiving

  private receive(data: Uint8Array, address: string, port: number): void {
    if (this.closed) return;
    this.stats.received++;
    try {
      this.dispatch(data, { address, port });
    } catch (e) {
      // A bug, not peer input: never let it escape into the transport.
      this.stats.dropped++;
      this.log.error(`coap: internal error on datagram from ${address}:${port}: ${(e as Error).message}`);
    }
  }

  private dispatch(data: Uint8Array, peer: Peer): void {
    const d = decodeMessage(data);
    if (!d.ok) {
      this.stats.formatErrors++;
      // §4.2/§4.3: a malformed CON is rejected with RST; malformed NON/ACK/RST silently dropped.
      if (d.type === Type.CON && d.messageId !== undefined) this.sendEmpty(Type.RST, d.messageId, peer);
      else this.stats.dropped++;
      this.log.debug(`coap: malformed datagram from ${peer.address}:${peer.port}: ${d.error}`);
      return;
    }
    const msg = d.message;
    const peerKey = peerKeyOf(peer.address, peer.port);
    if (msg.type === Type.ACK || msg.type === Type.RST) {
      this.onAckOrReset(msg, peerKey);
    } else if (msg.code === Code.EMPTY) {
      this.sendEmpty(Type.RST, msg.messageId, peer); // CoAP ping (§4.3)
    } else if (isRequestCode(msg.code)) {
      this.onRequestMessage(msg, peer, peerKey);
    } else if (isResponseCode(msg.code)) {
      this.onSeparateResponse(msg, peer, peerKey);
    } else {
      this.stats.dropped++;
    }
  }

  private onAckOrReset(msg: CoapMessage, peerKey: string): void {
    const key = `${peerKey}#${msg.messageId}`;
    const ex = this.outgoing.get(key);
    if (msg.type === Type.RST) {
      this.stats.resetsReceived++;
      if (ex) {
        this.dropOutgoing(ex);
        this.safe(() => ex.owner.onReset(ex));
        return;
      }
      const owner = this.nonMids.get(key);
      if (owner) {
        this.nonMids.delete(key);
        this.safe(() => owner.onReset(null));
        return;
      }
      this.stats.dropped++;
      return;
    }
    if (!ex) { this.stats.dropped++; return; }
    // §5.4.1: a piggybacked response with an unrecognised critical option is rejected (silently, it is an ACK).
    if (msg.code !== Code.EMPTY && firstBadCriticalOption(msg) >= 0) {
      this.stats.badOptions++;
      this.stats.dropped++;
      return;
    }
    this.dropOutgoing(ex);
    this.safe(() => ex.owner.onAck(ex, msg));
  }

  // ---------------------------------------------------------------- client side

  private startRequest(
    peer: Peer, req: RequestOptions, token: Uint8Array | null, onNotify: ((r: CoapResponse) => void) | null,
  ): Promise<CoapResponse> {
    if (this.closed) return Promise.reject(new CoapError('endpoint closed'));
    const options: CoapOption[] = [];
    try {
      if (req.observe !== undefined) options.push(uintOption(OptionNumber.OBSERVE, req.observe));
      for (const s of req.path ?? []) options.push(stringOption(OptionNumber.URI_PATH, s));
      if (req.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, req.contentFormat));
      for (const s of req.query ?? []) options.push(stringOption(OptionNumber.URI_QUERY, s));
      if (req.accept !== undefined) options.push(uintOption(OptionNumber.ACCEPT, req.accept));
      for (const o of req.options ?? []) options.push(o);
    } catch (e) {
      return Promise.reject(new CoapError(`bad request options: ${(e as Error).message}`));
    }
    const cr = new ClientRequest(this, peer, token ?? this.newToken(), req, options, req.payload ?? EMPTY, this.blockSzx);
    cr.onNotify = onNotify;
    const p = new Promise<CoapResponse>((resolve, reject) => { cr.resolve = resolve; cr.reject = reject; });
    let q = this.queues.get(cr.peerKey);
    if (!q) { q = { active: 0, waiting: [] }; this.queues.set(cr.peerKey, q); }
    if (q.active < this.params.nstart) {
      q.active++;
      this.begin(cr);
    } else if (q.waiting.length >= this.maxQueuedRequests) {
      this.stats.queueFull++;
      cr.done = true;
      cr.reject(new CoapError('request queue full'));
    } else {
      q.waiting.push(cr);
    }
    return p;
  }

  private begin(cr: ClientRequest): void {
    cr.started = true;
    const key = `${cr.peerKey}#${cr.tokenHex}`;
    if (this.pending.has(key)) { this._clientFail(cr, new CoapError('token in use')); return; }
    this.pending.set(key, cr);
    if (cr.req.timeout !== undefined) {
      cr.deadlineTimer = this.timers.setTimeout(
        () => this._clientFail(cr, new CoapTimeoutError('request deadline passed')), cr.req.timeout);
    }
    this.sendNextBlock(cr);
  }

  /** Release the NSTART slot of a finished request and start the next queued one. */
  private release(cr: ClientRequest): void {
    if (!cr.started) return;
    cr.started = false;
    const q = this.queues.get(cr.peerKey);
    if (!q) return;
    q.active--;
    const next = q.waiting.shift();
    if (next) { q.active++; this.begin(next); }
    if (q.active === 0 && q.waiting.length === 0) this.queues.delete(cr.peerKey);
  }

  /** Build and send the request message for the current Block1/Block2 position. */
  private sendNextBlock(cr: ClientRequest): void {
    const options = cr.baseOptions.slice();
    let payload = cr.body;
    if (cr.b2Next) {
      // Follow-up for the rest of a Block2 body: no payload, no Block1, no Observe (RFC 7959 §2.4, §3.4).
      payload = EMPTY;
      for (let i = options.length - 1; i >= 0; i--) if (options[i].number === OptionNumber.OBSERVE) options.splice(i, 1);
      options.push({ number: OptionNumber.BLOCK2, value: encodeBlock(cr.b2Next.num, false, cr.b2Next.szx) });
    } else if (cr.body.length > szxToSize(cr.b1Szx) || cr.b1Offset > 0) {
      const size = szxToSize(cr.b1Szx);
      const end = Math.min(cr.b1Offset + size, cr.body.length);
      const more = end < cr.body.length;
      payload = cr.body.subarray(cr.b1Offset, end);
      cr.b1Len = end - cr.b1Offset;
      options.push({ number: OptionNumber.BLOCK1, value: encodeBlock(cr.b1Offset / size, more, cr.b1Szx) });
      if (cr.b1Offset === 0) options.push(uintOption(OptionNumber.SIZE1, cr.body.length));
    }
    const confirmable = cr.req.confirmable !== false;
    const msg: CoapMessage = {
      type: confirmable ? Type.CON : Type.NON, code: cr.req.method, messageId: this.newMid(),
      token: cr.token, options: sortByNumber(options), payload,
    };
    cr.messageId = msg.messageId;
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(msg);
    } catch (e) {
      this._clientFail(cr, new CoapError(`cannot encode request: ${(e as Error).message}`));
      return;
    }
    if (confirmable) {
      cr.ex = this.sendCon(cr.peer, msg, cr);
      if (!cr.ex) this._clientFail(cr, new CoapError('too many pending exchanges'));
    } else {
      this.sendBytes(bytes, cr.peer);
      this.rememberNon(cr.peerKey, msg.messageId, cr);
      this.armResponseTimer(cr);
    }
  }

  private armResponseTimer(cr: ClientRequest): void {
    if (cr.respTimer !== null) this.timers.clearTimeout(cr.respTimer);
    cr.respTimer = this.timers.setTimeout(() => {
      cr.respTimer = null;
      this.stats.timeouts++;
      this._clientFail(cr, new CoapTimeoutError('no response within the response timeout'));
    }, this.responseTimeout);
  }

  /** @internal ACK for one of a request's CON messages. */
  _clientAck(cr: ClientRequest, ex: Outgoing, msg: CoapMessage): void {
    if (cr.done || cr.ex !== ex) return;
    cr.ex = null;
    if (msg.code === Code.EMPTY) {
      this.armResponseTimer(cr); // separate response follows (§5.2.2)
      return;
    }
    this.clientResponse(cr, msg);
  }

  /** @internal Fail a request: stop its timers, free its slot, reject its promise. */
  _clientFail(cr: ClientRequest, err: Error): void {
    if (cr.done) return;
    this.finishRequest(cr);
    cr.reject(err);
  }

  private finishRequest(cr: ClientRequest): void {
    cr.done = true;
    this.dropOutgoing(cr.ex);
    cr.ex = null;
    if (cr.respTimer !== null) { this.timers.clearTimeout(cr.respTimer); cr.respTimer = null; }
    if (cr.deadlineTimer !== null) { this.timers.clearTimeout(cr.deadlineTimer); cr.deadlineTimer = null; }
    const key = `${cr.peerKey}#${cr.tokenHex}`;
    if (this.pending.get(key) === cr) this.pending.delete(key);
    this.release(cr);
  }

  /** A response (piggybacked or separate) for the block of `cr` in flight. */
  private clientResponse(cr: ClientRequest, msg: CoapMessage): void {
    if (cr.respTimer !== null) { this.timers.clearTimeout(cr.respTimer); cr.respTimer = null; }
    // Block1 continuation (RFC 7959 §2.3): 2.31 asks for the next block, possibly at a smaller SZX.
    if (!cr.b2Next && cr.b1Len > 0 && cr.b1Offset + cr.b1Len < cr.body.length && msg.code === Code.CONTINUE) {
      const b1 = getBlock(msg, OptionNumber.BLOCK1);
      if (b1 && b1.szx < cr.b1Szx) cr.b1Szx = b1.szx;
      cr.b1Offset += cr.b1Len;
      this.sendNextBlock(cr);
      return;
    }
    // Observe registration is recorded on the first response block so notifications are never RST.
    if (cr.onNotify && !cr.observeToken && !cr.b2Next) {
      const seq = getObserve(msg);
      if (seq !== undefined && isSuccessCode(msg.code)) {
        cr.observeToken = cr.token;
        const key = `${cr.peerKey}#${cr.tokenHex}`;
        this.clientObs.set(key, {
          key, peer: cr.peer, token: cr.token, req: cr.req, lastSeq: seq, lastTime: this.timers.now(), onNotify: cr.onNotify,
        });
      }
    }
    const b2 = getBlock(msg, OptionNumber.BLOCK2);
    if (b2 === null) { this._clientFail(cr, new CoapError('malformed Block2 option in response')); return; }
    if (b2 && (b2.more || cr.parts.length > 0)) {
      if (b2.num * b2.size !== cr.received) { this._clientFail(cr, new CoapError('Block2 response out of order')); return; }
      if (cr.received + msg.payload.length > this.maxReassemblySize) {
        this._clientFail(cr, new CoapError('response body exceeds maxReassemblySize'));
        return;
      }
      if (!cr.first) cr.first = msg;
      cr.parts.push(msg.payload.slice());
      cr.received += msg.payload.length;
      if (b2.more) {
        if (msg.payload.length !== b2.size) { this._clientFail(cr, new CoapError('short Block2 block')); return; }
        const szx = Math.min(b2.szx, this.blockSzx);
        cr.b2Next = { num: cr.received / szxToSize(szx), szx };
        if (cr.observeToken && cr.token === cr.observeToken) this.rekey(cr); // follow-ups must not look like a re-registration
        this.sendNextBlock(cr);
        return;
      }
    }
    const first = cr.first ?? msg;
    const payload = cr.parts.length > 0 ? concat(cr.parts, cr.received) : msg.payload.slice();
    const res = this.toResponse(first, msg.code, payload, cr.peer);
    this.finishRequest(cr);
    cr.resolve(res);
  }

  /** Give a request a fresh token (Block2 follow-ups of an observe registration or notification). */
  private rekey(cr: ClientRequest): void {
    const old = `${cr.peerKey}#${cr.tokenHex}`;
    if (this.pending.get(old) === cr) this.pending.delete(old);
    cr.token = this.newToken();
    cr.tokenHex = toHex(cr.token);
    this.pending.set(`${cr.peerKey}#${cr.tokenHex}`, cr);
  }

  private toResponse(first: CoapMessage, code: number, payload: Uint8Array, peer: Peer): CoapResponse {
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

  /** A CON/NON message carrying a response: a separate response or a notification. */
  private onSeparateResponse(msg: CoapMessage, peer: Peer, peerKey: string): void {
    const con = msg.type === Type.CON;
    const dkey = `${peerKey}#${msg.messageId}`;
    const seen = this.dedup.get(dkey, this.timers.now());
    if (seen) {
      this.stats.duplicates++;
      if (con && seen.reply) this.sendBytes(seen.reply, peer);
      return;
    }
    if (firstBadCriticalOption(msg) >= 0) {
      // §5.4.1: reject a response with an unrecognised critical option.
      this.stats.badOptions++;
      if (con) this.sendEmpty(Type.RST, msg.messageId, peer);
      else this.stats.dropped++;
      return;
    }
    const entry = this.dedup.add(dkey, this.timers.now(), con ? this.exchangeLifetime : this.nonLifetime);
    if (entry) entry.processing = false;
    const tkey = `${peerKey}#${toHex(msg.token)}`;
    const cr = this.pending.get(tkey);
    const obs = cr ? undefined : this.clientObs.get(tkey);
    if (!cr && !obs) {
      // Unknown token: reject (RFC 7252 §5.3.2; RFC 7641 §3.6 for unwanted notifications).
      const rst = this.sendEmpty(Type.RST, msg.messageId, peer);
      if (entry) entry.reply = rst;
      return;
    }
    if (con) {
      const ack = this.sendEmpty(Type.ACK, msg.messageId, peer);
      if (entry) { entry.reply = ack; entry.acked = true; }
    }
    if (cr) {
      if (cr.done) return;
      this.dropOutgoing(cr.ex); // the response implies the ACK we missed
      cr.ex = null;
      this.clientResponse(cr, msg);
      return;
    }
    this.onNotification(obs!, msg, peer);
  }

  private onNotification(obs: ClientObs, msg: CoapMessage, peer: Peer): void {
    const now = this.timers.now();
    const seq = getObserve(msg);
    if (!isSuccessCode(msg.code) || seq === undefined) {
      // RFC 7641 §3.2: a notification without Observe or with an error code ends the observation.
      this.clientObs.delete(obs.key);
      this.stats.notificationsReceived++;
      const res = this.toResponse(msg, msg.code, msg.payload.slice(), peer);
      this.safe(() => obs.onNotify(res));
      return;
    }
    if (!isFreshNotification(obs.lastSeq, obs.lastTime, seq, now)) {
      this.stats.staleNotifications++;
      this.stats.dropped++;
      return;
    }
    obs.lastSeq = seq;
    obs.lastTime = now;
    this.stats.notificationsReceived++;
    const b2 = getBlock(msg, OptionNumber.BLOCK2);
    if (b2 && b2.more && b2.num === 0) {
      this.fetchRest(obs, msg, peer).then(
        (res) => { if (this.clientObs.get(obs.key) === obs && obs.lastSeq === seq) obs.onNotify(res); },
        (e: Error) => this.log.warn(`coap: fetching notification body failed: ${e.message}`),
      );
      return;
    }
    const res = this.toResponse(msg, msg.code, msg.payload.slice(), peer);
    this.safe(() => obs.onNotify(res));
  }

  /** GET the remaining Block2 blocks of a notification (RFC 7959 §3.4), with a fresh token. */
  private fetchRest(obs: ClientObs, first: CoapMessage, peer: Peer): Promise<CoapResponse> {
    const req: RequestOptions = { ...obs.req, method: Code.GET, observe: undefined, payload: undefined };
    const p = new Promise<CoapResponse>((resolve, reject) => {
      const options: CoapOption[] = [];
      for (const s of req.path ?? []) options.push(stringOption(OptionNumber.URI_PATH, s));
      for (const s of req.query ?? []) options.push(stringOption(OptionNumber.URI_QUERY, s));
      if (req.accept !== undefined) options.push(uintOption(OptionNumber.ACCEPT, req.accept));
      for (const o of req.options ?? []) options.push(o);
      const cr = new ClientRequest(this, peer, this.newToken(), req, options, EMPTY, this.blockSzx);
      cr.resolve = resolve;
      cr.reject = reject;
      const b2 = getBlock(first, OptionNumber.BLOCK2)!;
      cr.first = first;
      cr.parts.push(first.payload.slice());
      cr.received = first.payload.length;
      const szx = Math.min(b2.szx, this.blockSzx);
      cr.b2Next = { num: cr.received / szxToSize(szx), szx };
      // Not queued behind NSTART: it completes an exchange the peer started. Bounded by maxPendingExchanges.
      cr.started = false;
      this.pending.set(`${cr.peerKey}#${cr.tokenHex}`, cr);
      this.sendNextBlock(cr);
    });
    return p;
  }

  // ---------------------------------------------------------------- server side

  private onRequestMessage(msg: CoapMessage, peer: Peer, peerKey: string): void {
    const con = msg.type === Type.CON;
    const now = this.timers.now();
    const dkey = `${peerKey}#${msg.messageId}`;
    const seen = this.dedup.get(dkey, now);
    if (seen) {
      this.stats.duplicates++;
      if (!con) return; // §4.5: duplicate NON silently ignored
      if (seen.reply) this.sendBytes(seen.reply, peer);
      else if (seen.processing && !seen.acked) {
        // Still working on it: stop the peer's retransmissions and answer separately.
        seen.reply = this.sendEmpty(Type.ACK, msg.messageId, peer);
        seen.acked = true;
      }
      return;
    }
    const entry = this.dedup.add(dkey, now, con ? this.exchangeLifetime : this.nonLifetime);
    this.stats.dedupEvicted = this.dedup.evicted;
    if (!entry) {
      this.stats.dedupFull++;
      if (con) {
        const wait = Math.max(1, Math.ceil((this.dedup.earliestExpiry() - now) / 1000));
        this.sendDirect(msg, peer, { code: Code.SERVICE_UNAVAILABLE, options: [uintOption(OptionNumber.MAX_AGE, wait)] }, null);
      } else {
        this.stats.dropped++;
      }
      return;
    }
    const sx = new ServerExchange(this, msg, peer, peerKey, entry);
    const bad = firstBadCriticalOption(msg);
    if (bad >= 0) {
      this.stats.badOptions++;
      this.respond(sx, { code: Code.BAD_OPTION });
      return;
    }
    if (findOption(msg, OptionNumber.PROXY_URI) || findOption(msg, OptionNumber.PROXY_SCHEME)) {
      this.respond(sx, { code: Code.PROXYING_NOT_SUPPORTED });
      return;
    }
    const b1 = getBlock(msg, OptionNumber.BLOCK1);
    const b2 = getBlock(msg, OptionNumber.BLOCK2);
    if (b1 === null || b2 === null) { this.respond(sx, { code: Code.BAD_REQUEST }); return; }
    sx.block2 = b2;
    if (b1) {
      if (!this.block1Receive(sx, b1)) return;
    } else {
      sx.payload = msg.payload.slice();
    }
    if (b2 && b2.num > 0) {
      const cached = this.block2Bodies.get(requestKey(peerKey, msg), now);
      if (cached) {
        this.respond(sx, { code: cached.code, contentFormat: cached.contentFormat, payload: cached.body });
        return;
      }
    }
    if (sx.observe === 1) {
      const rel = this.relations.get(`${peerKey}#${toHex(msg.token)}`);
      if (rel) this._cancelRelation(rel, 'deregister');
    }
    this.runHandler(sx);
  }

  /** Block1 reassembly (RFC 7959 §2.3, §2.5); false when a reply was already sent. */
  private block1Receive(sx: ServerExchange, b1: BlockValue): boolean {
    const msg = sx.message;
    const now = this.timers.now();
    const key = requestKey(sx.peerKey, msg);
    const tooLarge = (): false => {
      this.block1Sessions.delete(key);
      this.respond(sx, { code: Code.REQUEST_ENTITY_TOO_LARGE, options: [uintOption(OptionNumber.SIZE1, this.maxReassemblySize)] });
      return false;
    };
    const size1 = getSize1(msg);
    if (size1 !== undefined && size1 > this.maxReassemblySize) return tooLarge();
    const offset = b1.num * b1.size;
    let s: Block1Session | undefined;
    if (b1.num === 0) {
      s = { parts: [], received: 0, expires: 0 };
      if (b1.more && !this.block1Sessions.set(key, s, now)) {
        this.stats.blockSessionsFull++;
        this.respond(sx, { code: Code.SERVICE_UNAVAILABLE });
        return false;
      }
    } else {
      s = this.block1Sessions.get(key, now);
      if (!s || s.received !== offset) {
        this.block1Sessions.delete(key);
        this.respond(sx, { code: Code.REQUEST_ENTITY_INCOMPLETE });
        return false;
      }
      this.block1Sessions.touch(s, now);
    }
    if (b1.more && msg.payload.length !== b1.size) {
      this.block1Sessions.delete(key);
      this.respond(sx, { code: Code.BAD_REQUEST });
      return false;
    }
    if (s.received + msg.payload.length > this.maxReassemblySize) return tooLarge();
    s.parts.push(msg.payload.slice());
    s.received += msg.payload.length;
    if (b1.more) {
      // Answer at our SZX when it is smaller; NUM names the block in that size (§2.5, Figure 4).
      const szx = Math.min(b1.szx, this.blockSzx);
      const num = offset / szxToSize(szx);
      this.sendDirect(msg, sx.peer, { code: Code.CONTINUE, options: [{ number: OptionNumber.BLOCK1, value: encodeBlock(num, true, szx) }] }, sx.entry);
      return false;
    }
    this.block1Sessions.delete(key);
    sx.payload = concat(s.parts, s.received);
    sx.block1Echo = b1;
    return true;
  }

  private runHandler(sx: ServerExchange): void {
    const handler = this.onRequest;
    if (!handler) { this.respond(sx, { code: Code.NOT_FOUND }); return; }
    this.stats.handlerRuns++;
    let result: ResponseSpec | null | PromiseLike<ResponseSpec | null>;
    try {
      result = handler(sx);
    } catch (e) {
      this.stats.handlerErrors++;
      this.log.warn(`coap: request handler threw: ${(e as Error).message}`);
      this.respond(sx, { code: Code.INTERNAL_SERVER_ERROR });
      return;
    }
    if (!isThenable(result)) { this.respond(sx, result); return; }
    this.inProgress.add(sx);
    if (sx.message.type === Type.CON && sx.entry) {
      const entry = sx.entry;
      sx.separateTimer = this.timers.setTimeout(() => {
        sx.separateTimer = null;
        if (!entry.acked && !sx.finished) {
          entry.reply = this.sendEmpty(Type.ACK, sx.message.messageId, sx.peer);
          entry.acked = true;
        }
      }, this.separateResponseDelay);
    }
    result.then(
      (r) => this.respond(sx, r),
      (e: unknown) => {
        this.stats.handlerErrors++;
        this.log.warn(`coap: request handler failed: ${(e as Error)?.message ?? String(e)}`);
        this.respond(sx, { code: Code.INTERNAL_SERVER_ERROR });
      },
    );
  }

  /** Send the handler's answer: piggybacked, separate CON, or NON; with Block2 and Observe as needed. */
  private respond(sx: ServerExchange, spec: ResponseSpec | null): void {
    if (sx.finished) return;
    sx.finished = true;
    this.inProgress.delete(sx);
    if (sx.separateTimer !== null) { this.timers.clearTimeout(sx.separateTimer); sx.separateTimer = null; }
    if (sx.entry) sx.entry.processing = false;
    if (this.closed) return;
    let rel = sx.relation;
    if (spec === null) {
      if (rel) this._cancelRelation(rel, 'local');
      return;
    }
    if (rel && (!isSuccessCode(spec.code) || !rel.active)) {
      if (rel.active) this._cancelRelation(rel, 'local');
      rel = null;
    }
    const extra: CoapOption[] = [];
    if (rel) { extra.push(uintOption(OptionNumber.OBSERVE, this.nextObserveSeq())); this.stats.notificationsSent++; }
    if (sx.block1Echo) {
      const b = sx.block1Echo;
      extra.push({ number: OptionNumber.BLOCK1, value: encodeBlock(b.num, false, b.szx) });
    }
    const b2 = sx.block2;
    const szx = b2 ? Math.min(b2.szx, this.blockSzx) : this.blockSzx;
    const offset = b2 ? b2.num * b2.size : 0;
    const bodyKey = requestKey(sx.peerKey, sx.message);
    const blocked = this.blockSlice(spec, offset, szx, !!b2, bodyKey);
    if (!blocked) { this.sendDirect(sx.message, sx.peer, { code: Code.BAD_OPTION }, sx.entry); return; }
    this.sendResponse(sx, blocked, extra, rel);
  }

  /**
   * Cut a response body into the block at `offset` (RFC 7959 §2.4) and keep
   * the whole body for follow-up requests while blocks remain. Returns the spec
   * to send (with Block2/Size2 options added), or null when offset is beyond the body.
   */
  private blockSlice(spec: ResponseSpec, offset: number, szx: number, asked: boolean, bodyKey: string): ResponseSpec | null {
    const body = spec.payload ?? EMPTY;
    const size = szxToSize(szx);
    if (!asked && body.length <= size) return spec;
    if (offset > 0 && offset >= body.length) return null;
    const end = Math.min(offset + size, body.length);
    const more = end < body.length;
    const options = (spec.options ?? []).slice();
    options.push({ number: OptionNumber.BLOCK2, value: encodeBlock(offset / size, more, szx) });
    if (offset === 0 && more) options.push(uintOption(OptionNumber.SIZE2, body.length));
    const now = this.timers.now();
    if (more) {
      const entry: Block2Body = { code: spec.code, contentFormat: spec.contentFormat, body, expires: 0 };
      if (!this.block2Bodies.set(bodyKey, entry, now)) {
        // Full: the oldest body goes (its client's next block re-runs the handler).
        this.stats.blockSessionsFull++;
        this.block2Bodies.evictOldest();
        this.block2Bodies.set(bodyKey, entry, now);
      }
    } else if (offset > 0) {
      this.block2Bodies.delete(bodyKey);
    }
    return { ...spec, options, payload: body.subarray(offset, end) };
  }

  private buildResponse(type: number, messageId: number, token: Uint8Array, spec: ResponseSpec, extra: CoapOption[]): CoapMessage {
    const options: CoapOption[] = extra.slice();
    if (spec.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, spec.contentFormat));
    for (const s of spec.locationPath ?? []) options.push(stringOption(OptionNumber.LOCATION_PATH, s));
    for (const o of spec.options ?? []) options.push(o);
    return { type, code: spec.code, messageId, token, options: sortByNumber(options), payload: spec.payload ?? EMPTY };
  }

  /** A reply decided by the stack itself (errors, 2.31, 5.03): piggybacked on CON, NON for NON. */
  private sendDirect(req: CoapMessage, peer: Peer, spec: ResponseSpec, entry: DedupEntry | null): void {
    const con = req.type === Type.CON;
    const msg = this.buildResponse(con ? Type.ACK : Type.NON, con ? req.messageId : this.newMid(), req.token, spec, []);
    const bytes = encodeMessage(msg);
    if (entry) { entry.processing = false; if (con) { entry.reply = bytes; entry.acked = true; } }
    this.sendBytes(bytes, peer);
  }

  private sendResponse(sx: ServerExchange, spec: ResponseSpec, extra: CoapOption[], rel: Relation | null): void {
    const req = sx.message;
    const entry = sx.entry;
    if (req.type === Type.CON && !(entry && entry.acked)) {
      const bytes = encodeMessage(this.buildResponse(Type.ACK, req.messageId, req.token, spec, extra));
      if (entry) { entry.reply = bytes; entry.acked = true; }
      this.sendBytes(bytes, sx.peer);
    } else if (req.type === Type.CON) {
      // Separate response (§5.2.2): a new CON with the request's token.
      this.stats.separateResponses++;
      const msg = this.buildResponse(Type.CON, this.newMid(), req.token, spec, extra);
      if (!this.sendCon(sx.peer, msg, new SeparateResponse(rel))) {
        this.log.warn('coap: separate response dropped, too many pending exchanges');
        if (rel) this._cancelRelation(rel, 'local');
      }
    } else {
      const msg = this.buildResponse(Type.NON, this.newMid(), req.token, spec, extra);
      this.sendBytes(encodeMessage(msg), sx.peer);
      if (rel) this.rememberNon(sx.peerKey, msg.messageId, rel);
    }
  }

  private nextObserveSeq(): number {
    this.observeSeq = (this.observeSeq + 1) & OBSERVE_SEQ_MASK;
    return this.observeSeq;
  }

  /** @internal IncomingRequest.acceptObserve. */
  _acceptObserve(sx: ServerExchange): ObserveRelation | null {
    if (sx.relation) return sx.relation;
    if (sx.finished || this.closed) return null;
    const key = `${sx.peerKey}#${toHex(sx.message.token)}`;
    const existing = this.relations.get(key);
    if (existing) this._cancelRelation(existing, 'deregister'); // re-registration with the same token replaces it
    if (this.relations.size >= this.maxObservations) {
      this.stats.observeRejected++;
      return null;
    }
    const b2 = sx.block2;
    const szx = b2 ? Math.min(b2.szx, this.blockSzx) : this.blockSzx;
    const rel = new Relation(this, sx.peer, sx.message.token.slice(), key, requestKey(sx.peerKey, sx.message), szx);
    this.relations.set(key, rel);
    sx.relation = rel;
    return rel;
  }

  /** @internal End a relation once, telling its owner why. */
  _cancelRelation(rel: Relation, reason: ObserveCancelReason): void {
    if (!rel.active) return;
    rel.active = false;
    if (this.relations.get(rel.key) === rel) this.relations.delete(rel.key);
    if (rel.ex) { this.dropOutgoing(rel.ex); rel.ex = null; }
    const s = rel.settle;
    rel.settle = null;
    if (s && reason === 'closed') s.reject(new CoapError('endpoint closed'));
    else if (s) s.resolve();
    const cb = rel.onCancel;
    if (cb) this.safe(() => cb(reason));
  }

  /** @internal ObserveRelation.notify. */
  _notify(rel: Relation, res: ResponseSpec, confirmable: boolean): Promise<void> {
    if (!rel.active || this.closed) return Promise.reject(new CoapError('observe relation is not active'));
    const extra = [uintOption(OptionNumber.OBSERVE, this.nextObserveSeq())];
    const spec = this.blockSlice(res, 0, rel.szx, false, rel.bodyKey)!;
    const peerKey = peerKeyOf(rel.peer.address, rel.peer.port);
    this.stats.notificationsSent++;
    const final = !isSuccessCode(res.code); // RFC 7641 §4.2: an error notification ends the relation
    if (!confirmable) {
      const msg = this.buildResponse(Type.NON, this.newMid(), rel.token, spec, extra);
      this.sendBytes(encodeMessage(msg), rel.peer);
      this.rememberNon(peerKey, msg.messageId, rel);
      if (final) this._cancelRelation(rel, 'local');
      return Promise.resolve();
    }
    const msg = this.buildResponse(Type.CON, this.newMid(), rel.token, spec, extra);
    // RFC 7641 §4.5.2: a newer CON notification replaces an unacknowledged one and inherits its back-off.
    const prev = rel.ex;
    const prevSettle = rel.settle;
    if (prev) this.dropOutgoing(prev);
    rel.ex = null;
    rel.settle = null;
    prevSettle?.resolve();
    return new Promise<void>((resolve, reject) => {
      const ex = this.sendCon(rel.peer, msg, rel, prev ?? undefined);
      if (!ex) { reject(new CoapError('too many pending exchanges')); return; }
      rel.ex = ex;
      rel.settle = { resolve, reject };
      if (final) {
        // The relation ends now; the error notification itself is still retransmitted until ACKed.
        rel.active = false;
        if (this.relations.get(rel.key) === rel) this.relations.delete(rel.key);
        const cb = rel.onCancel;
        if (cb) this.safe(() => cb('local'));
      }
    });
  }
}

function sortByNumber(options: CoapOption[]): CoapOption[] {
  for (let i = 1; i < options.length; i++) {
    if (options[i].number < options[i - 1].number) {
      return options.map((o, j) => ({ o, j })).sort((a, b) => a.o.number - b.o.number || a.j - b.j).map((x) => x.o);
    }
  }
  return options;
}

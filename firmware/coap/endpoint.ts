// A CoAP endpoint over one datagram transport, client and server: a small
// facade over the stack of layers below, each one topic and its own file.
//
//   CoapEndpoint     request() observe() onRequest stats close()      endpoint.ts
//     Requests  │  Responder    requests sent / received (RFC 7252 §5),   requests.ts, responder.ts
//               │               NSTART queue, separate responses
//   ObserveLayer                relations and observations (RFC 7641)     observe.ts
//   Blockwise                   Block1 / Block2, both roles (RFC 7959)    blockwise.ts
//   Reliability                 CON retransmission, NON memory (§4.2)     reliability.ts
//   Matcher                     decoding, deduplication (§4.5), Message   matcher.ts, dedup.ts
//                               ID and token matching (§4.4, §5.3.2)
//   TransportSeam               datagrams and peers (UDP, or DTLS over    transport.ts
//                               UDP, whose peers carry an identity)
//
// Data flows down on send and up on receive; the records that travel are in
// exchange.ts, what the layers share in stack-context.ts. Platform-free: time,
// randomness and I/O come through the ports. Nothing a peer sends throws past
// the transport: malformed input is answered (RST, 4.0x) or dropped and counted.
// Every bounded table keeps at most half of it for one peer (fair-share.ts),
// and the application may name the peers it serves (PeerAdmission): requests
// from others are dropped before they are decoded.
import { Blockwise } from './blockwise';
import { Matcher } from './matcher';
import { ObserveLayer } from './observe';
import { Reliability } from './reliability';
import { Requests } from './requests';
import { Responder } from './responder';
import { StackContext } from './stack-context';
import { BLOCK1, BLOCK2, CONS, DEDUP, RELATIONS, peerShare } from './fair-share';
import type { TransmissionParameters } from './params';
import type {
  ClientObservation,
  CoapResponse,
  EndpointOptions,
  EndpointStats,
  KeptRelation,
  ObserveRelation,
  Peer,
  PeerAdmission,
  RequestHandler,
  RequestOptions,
  TableOccupancy,
  TableUse,
} from './api';

export type {
  ClientObservation,
  CoapResponse,
  EndpointOptions,
  EndpointStats,
  IncomingRequest,
  KeptRelation,
  ObserveCancelReason,
  ObserveRelation,
  Peer,
  PeerAdmission,
  RequestHandler,
  RequestOptions,
  ResponseSpec,
  TableOccupancy,
  TableUse,
} from './api';
export { CoapCapacityError, CoapError, CoapResetError, CoapTimeoutError } from './errors';

export class CoapEndpoint {
  private readonly ctx: StackContext;
  private readonly matcher: Matcher;
  private readonly reliability: Reliability;
  private readonly blockwise: Blockwise;
  private readonly observeLayer: ObserveLayer;
  private readonly requests: Requests;
  private readonly responder: Responder;

  constructor(opts: EndpointOptions) {
    const ctx = (this.ctx = new StackContext(opts));
    this.reliability = new Reliability(ctx);
    this.matcher = new Matcher(ctx, this.reliability);
    this.blockwise = new Blockwise(ctx);
    this.observeLayer = new ObserveLayer(ctx, this.blockwise, this.reliability, this.matcher);
    const lower = { observe: this.observeLayer, blockwise: this.blockwise, reliability: this.reliability, matcher: this.matcher };
    this.requests = new Requests(ctx, lower);
    this.responder = new Responder(ctx, lower);
    this.observeLayer.fetcher = this.requests;
    this.reliability.nonOwners = { request: this.requests, relation: this.observeLayer };
    this.matcher.serverSide = this.responder;
    this.matcher.clientSide = this.requests;
    ctx.seam.listen((data, peer) => this.matcher.receive(data, peer));
  }

  /** Handles the requests we receive; without one they are answered 4.04. */
  get onRequest(): RequestHandler | null {
    return this.responder.handler;
  }
  set onRequest(h: RequestHandler | null) {
    this.responder.handler = h;
  }

  /** The peers whose requests are served; null (the default): every peer. */
  get admission(): PeerAdmission | null {
    return this.matcher.admission;
  }
  set admission(a: PeerAdmission | null) {
    this.matcher.admission = a;
  }

  /**
   * Requests whose Block1 body is handed up block by block instead of
   * reassembled (IncomingRequest.block1): a firmware image written to a
   * Package resource, bounded by where it goes rather than by the RAM here.
   */
  get streamsBody(): ((path: string[], method: number) => boolean) | null {
    return this.ctx.streamsBody;
  }
  set streamsBody(f: ((path: string[], method: number) => boolean) | null) {
    this.ctx.streamsBody = f;
  }

  get stats(): EndpointStats {
    return this.ctx.stats;
  }

  /** The bounded tables now, with their peaks (a snapshot, for diagnostics and tests). */
  get occupancy(): TableOccupancy {
    const { shares, limits } = this.ctx;
    const use = (table: number, size: number, capacity: number): TableUse => ({
      size,
      peak: shares.peak(table),
      peakPerPeer: shares.peakHeld(table),
      capacity,
      share: peerShare(capacity),
    });
    const queued = this.requests.queued();
    const sessions = this.blockwise.sessions;
    return {
      dedup: use(DEDUP, this.matcher.dedup.size, limits.dedupCapacity),
      block1: use(BLOCK1, sessions.block1, limits.maxBlockSessions),
      block2: use(BLOCK2, sessions.block2, limits.maxBlockSessions),
      relations: use(RELATIONS, this.observeLayer.relationCount, limits.maxObservations),
      cons: use(CONS, this.reliability.pending, limits.maxPendingExchanges),
      inProgress: this.responder.running,
      queued: queued.all,
      queuedPerPeer: queued.most,
    };
  }
  get params(): TransmissionParameters {
    return this.ctx.params;
  }

  /** Number of server-side observe relations. */
  get observationCount(): number {
    return this.observeLayer.relationCount;
  }

  request(peer: Peer, req: RequestOptions): Promise<CoapResponse> {
    return this.requests.request(peer, req, null, null);
  }

  observe(peer: Peer, req: RequestOptions, onNotify: (res: CoapResponse) => void): Promise<ClientObservation> {
    return this.requests.observeAt(peer, req, onNotify);
  }

  /**
   * The counters a deep sleep keeps: the last Message ID (none may repeat toward a peer within EXCHANGE_LIFETIME,
   * RFC 7252 §4.4, and a sleep is often shorter) and the last Observe sequence number (RFC 7641 §3.4: the next
   * notification must be newer).
   */
  get counters(): { mid: number; observeSeq: number } {
    return { mid: this.ctx.lastMid, observeSeq: this.observeLayer.sequence };
  }
  set counters(c: { mid: number; observeSeq: number }) {
    this.ctx.lastMid = c.mid;
    this.observeLayer.sequence = c.observeSeq;
  }

  /** A server-side relation as a deep sleep keeps it (KeptRelation); null for one that has ended. */
  keepRelation(rel: ObserveRelation): KeptRelation | null {
    return this.observeLayer.keep(rel);
  }

  /** After a deep sleep, a relation keep() gave, toward the same peer; null when the table has no room. */
  resumeRelation(peer: Peer, kept: KeptRelation): ObserveRelation | null {
    return this.observeLayer.resume(peer, kept);
  }

  /** Cancels pending exchanges and relations (rejecting their promises) and stops every timer; idempotent. */
  close(): void {
    const ctx = this.ctx;
    if (ctx.closed) return;
    ctx.closed = true;
    ctx.seam.detach();
    this.observeLayer.close();
    this.requests.close();
    this.responder.close();
    this.reliability.clear();
    ctx.deadlines.clear();
    this.matcher.clear();
    this.blockwise.clear();
  }
}

// What every layer of one endpoint shares: the ports, the counters, the
// transmission parameters and bounds (resolved once from EndpointOptions),
// the Message ID sequence, and the way out to the transport.
import { exchangeLifetime, maxTransmitWait, nonLifetime, resolveParams, type TransmissionParameters } from './params';
import { TransportSeam } from './transport';
import { Deadlines } from './deadlines';
import { PeerShares } from './fair-share';
import type { EndpointOptions, EndpointStats, Peer } from './api';
import type { Logger, Random, Timers } from '../platform/ports';

/** The endpoint's bounds and time-outs, defaults applied (see EndpointOptions for each). */
export interface StackLimits {
  readonly blockSzx: number;
  readonly maxReassemblySize: number;
  readonly maxObservations: number;
  readonly maxClientObservations: number;
  readonly dedupCapacity: number;
  readonly separateResponseDelay: number;
  readonly maxPendingExchanges: number;
  readonly maxQueuedRequests: number;
  readonly maxBlockSessions: number;
  readonly blockSessionTimeout: number;
  readonly responseTimeout: number;
  readonly tokenLength: number;
  readonly exchangeLifetime: number;
  readonly nonLifetime: number;
}

export function newStats(): EndpointStats {
  return {
    received: 0,
    sent: 0,
    retransmissions: 0,
    duplicates: 0,
    dropped: 0,
    formatErrors: 0,
    resetsSent: 0,
    resetsReceived: 0,
    badOptions: 0,
    timeouts: 0,
    handlerRuns: 0,
    handlerErrors: 0,
    separateResponses: 0,
    dedupFull: 0,
    dedupEvicted: 0,
    queueFull: 0,
    exchangesFull: 0,
    blockSessionsFull: 0,
    observeRejected: 0,
    notificationsSent: 0,
    notificationsReceived: 0,
    staleNotifications: 0,
    notServed: 0,
    overShare: 0,
  };
}

export class StackContext {
  readonly timers: Timers;
  readonly random: Random;
  readonly log: Logger;
  readonly stats: EndpointStats = newStats();
  readonly params: TransmissionParameters;
  readonly limits: StackLimits;
  readonly seam: TransportSeam;
  /** Every time-out of the stack (retransmissions, response waits, separate-response ACKs): one timer. */
  readonly deadlines: Deadlines;
  /** What each peer holds of the bounded tables (fair-share.ts). */
  readonly shares: PeerShares;
  closed = false;
  /** Requests whose body is handed up block by block (RFC 7959 §2.5 with no reassembly): a firmware image. */
  streamsBody: ((path: string[], method: number) => boolean) | null = null;
  private mid: number;
  /** The first Observe sequence number to hand out (random, like the first Message ID). */
  readonly observeSeqStart: number;

  constructor(opts: EndpointOptions) {
    this.timers = opts.timers;
    this.random = opts.random;
    this.log = opts.log;
    this.params = resolveParams(opts.params);
    const blockSzx = opts.blockSzx ?? 6;
    if (!(blockSzx >= 0 && blockSzx <= 6)) throw new RangeError('blockSzx must be 0..6');
    const tokenLength = opts.tokenLength ?? 4;
    if (!(tokenLength >= 1 && tokenLength <= 8)) throw new RangeError('tokenLength must be 1..8');
    this.limits = Object.freeze({
      blockSzx,
      maxReassemblySize: opts.maxReassemblySize ?? 65536,
      maxObservations: opts.maxObservations ?? 32,
      maxClientObservations: opts.maxClientObservations ?? 8,
      dedupCapacity: opts.dedupCapacity ?? 128,
      separateResponseDelay: opts.separateResponseDelay ?? 1000,
      maxPendingExchanges: opts.maxPendingExchanges ?? 32,
      maxQueuedRequests: opts.maxQueuedRequests ?? 16,
      maxBlockSessions: opts.maxBlockSessions ?? 4,
      blockSessionTimeout: opts.blockSessionTimeout ?? 60_000,
      responseTimeout: opts.responseTimeout ?? maxTransmitWait(this.params),
      tokenLength,
      exchangeLifetime: exchangeLifetime(this.params),
      nonLifetime: nonLifetime(this.params),
    });
    this.seam = new TransportSeam(opts.transport, this.stats, this.log, opts.trace);
    this.deadlines = new Deadlines(this.timers);
    this.shares = new PeerShares(this.stats);
    const r = this.random.bytes(5);
    this.mid = (r[0] << 8) | r[1];
    this.observeSeqStart = (r[2] << 16) | (r[3] << 8) | r[4];
  }

  send(bytes: Uint8Array, peer: Peer): void {
    this.seam.send(bytes, peer);
  }

  /** The last Message ID handed out; set after a deep sleep so that none is used twice within EXCHANGE_LIFETIME (§4.4). */
  get lastMid(): number {
    return this.mid;
  }
  set lastMid(v: number) {
    this.mid = v & 0xffff;
  }

  /** The next Message ID (§4.4: sequential from a random start). */
  newMid(): number {
    this.mid = (this.mid + 1) & 0xffff;
    return this.mid;
  }

  /** Runs a callback of someone else's; its failure is logged, never passed on. */
  safe(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error(`coap: callback threw: ${(e as Error).message}`);
    }
  }
}

// Public shapes of the CoAP endpoint (requests, responses, handlers, observe
// relations, options and counters). The implementation is in endpoint.ts.
import type { CoapMessage, CoapOption } from './message';
import type { TransmissionParameters } from './params';
import type { DatagramTransport, Logger, Random, Timers } from '../platform/ports';

/**
 * Who a message comes from or goes to. `identity` is the security identity
 * the transport vouches for (the PSK identity of a DTLS session), absent on
 * plain UDP; matching always uses address and port.
 */
export interface Peer {
  address: string;
  port: number;
  identity?: string;
}

/**
 * Which peers the application serves. The stack asks before it decodes a
 * request: one from any other peer is dropped unanswered, and costs no table
 * entry. Responses, ACKs and RSTs are not asked about: they answer what we sent.
 */
export interface PeerAdmission {
  serves(peer: Peer): boolean;
}

export interface RequestOptions {
  /** Code.GET etc. */
  method: number;
  /** Uri-Path segments. */
  path?: string[];
  /** Uri-Query items, e.g. ['ep=node1', 'lt=300']. */
  query?: string[];
  contentFormat?: number;
  accept?: number;
  /** Sent with Block1 when longer than the block size. */
  payload?: Uint8Array;
  /** Default true. */
  confirmable?: boolean;
  /** Raw Observe option value (0 register / 1 deregister). */
  observe?: number;
  /** Any other options (ETag, If-Match, Uri-Host …). */
  options?: CoapOption[];
  /** Overall deadline for this request in ms (all blocks); default: none beyond the per-exchange timeouts. */
  timeout?: number;
  /**
   * Ask for this one Block2 block only (RFC 7959 §2.4): the response is that
   * block, with its Block2 option in `options`; no further blocks are fetched.
   * A download that resumes where it stopped, never holding the whole body.
   */
  block2?: { num: number; szx: number };
  /**
   * Send `payload` as this one Block1 block (RFC 7959 §2.5) and return the
   * answer to it (2.31 Continue for a block with more to come): an upload
   * the caller resumes block by block. `size1` announces the whole body.
   */
  block1?: { num: number; szx: number; more: boolean; size1?: number };
  /** Told before each retransmission of the (first) CON: the number (1 …), MAX_RETRANSMIT, ms until the next timeout. */
  onRetransmit?: (n: number, max: number, waitMs: number) => void;
}

export interface CoapResponse {
  code: number;
  /** Reassembled from all Block2 blocks. */
  payload: Uint8Array;
  contentFormat?: number;
  locationPath: string[];
  /** Options of the (first) response message. */
  options: CoapOption[];
  observe?: number;
  peer: Peer;
}

export interface IncomingRequest {
  peer: Peer;
  method: number;
  path: string[];
  query: string[];
  contentFormat?: number;
  accept?: number;
  observe?: number;
  /** Reassembled from all Block1 blocks; for a streamed body (CoapEndpoint.streamsBody) this block only. */
  payload: Uint8Array;
  /**
   * A streamed body's block: where it sits and whether more follow. Answer a
   * non-final block with 2.31 Continue (a 2.xx is turned into one), the last
   * with the final response; each answer carries the Block1 echo.
   */
  block1?: { num: number; offset: number; size: number; more: boolean };
  /** The (last) request message. */
  message: CoapMessage;
  /**
   * Register an observation for this request's token; null when the table is
   * full. Call before returning the 2.05 response; the response then carries
   * an Observe sequence number. A non-2.xx response cancels it again.
   */
  acceptObserve(): ObserveRelation | null;
}

export interface ResponseSpec {
  code: number;
  contentFormat?: number;
  payload?: Uint8Array;
  locationPath?: string[];
  options?: CoapOption[];
  /**
   * Called once the response (its first block) has gone out, for what must
   * follow it on the wire: the commit after Bootstrap-Finish's 2.04, the
   * action an Execute asked for.
   */
  sent?: () => void;
}

/** Return null to ignore the request completely (no ACK, no response; duplicates ignored too). */
export type RequestHandler = (req: IncomingRequest) => ResponseSpec | null | Promise<ResponseSpec | null>;

export type ObserveCancelReason = 'reset' | 'timeout' | 'deregister' | 'local' | 'closed';

export interface ObserveRelation {
  readonly peer: Peer;
  readonly token: Uint8Array;
  readonly active: boolean;
  /**
   * Send a notification; resolves when sent (NON) or ACKed (CON); rejects if
   * the CON times out or is reset (the relation is then cancelled). A newer
   * CON notification supersedes an unacknowledged older one (RFC 7641 §4.5.2):
   * the older promise then resolves.
   */
  notify(res: ResponseSpec, opts?: { confirmable?: boolean }): Promise<void>;
  cancel(): void;
  onCancel: ((reason: ObserveCancelReason) => void) | null;
}

/**
 * A server-side observe relation as a deep sleep keeps it (CoapEndpoint.keepRelation): its token, the block size of
 * its notifications, and its request's options as the block-wise layer keys them (a follow-up GET for the rest of a
 * notification finds the body by them).
 */
export interface KeptRelation {
  token: Uint8Array;
  szx: number;
  request: string;
}

export interface ClientObservation {
  response: CoapResponse;
  /** Deregister with GET Observe=1 (default), or forget locally and RST the next notification. */
  cancel(opts?: { passive?: boolean }): Promise<void>;
}

export interface EndpointOptions {
  transport: DatagramTransport;
  timers: Timers;
  random: Random;
  log: Logger;
  params?: Partial<TransmissionParameters>;
  /** Preferred block size exponent, 0–6 (16–1024 bytes); default 6 = 1024. */
  blockSzx?: number;
  /** Bound on a Block1 body we receive and a Block2 body we fetch, bytes; default 65536. */
  maxReassemblySize?: number;
  /**
   * Bound on server-side observe relations, at most half of them one peer's; default 32, so one LwM2M
   * Server can hold all 16 observations the client's Information Reporting allows.
   */
  maxObservations?: number;
  /** Bound on client-side observations; default 8. */
  maxClientObservations?: number;
  /** Bound on the deduplication cache (peer + MID), at most half of it one peer's; default 128. */
  dedupCapacity?: number;
  /** Handler time after which a CON request gets an empty ACK and a separate response, ms; default 1000. */
  separateResponseDelay?: number;
  /** Bound on our CON messages awaiting ACK (all peers, at most half to one; excluding queued requests); default 32. */
  maxPendingExchanges?: number;
  /** Bound on requests waiting for an NSTART slot, per peer; default 16. */
  maxQueuedRequests?: number;
  /** Bound on block-wise sessions (Block1 reassemblies and Block2 bodies kept for follow-ups), each, at most half of them one peer's; default 4. */
  maxBlockSessions?: number;
  /** Idle time after which a block-wise session is dropped, ms; default 60000. */
  blockSessionTimeout?: number;
  /** Wait for a separate response after an empty ACK, or for any response to a NON request, ms; default MAX_TRANSMIT_WAIT (93 s). */
  responseTimeout?: number;
  /** Length of the tokens we generate, 1–8; default 4. */
  tokenLength?: number;
  /**
   * Told of every datagram this endpoint sends and receives, as it crosses the transport (above DTLS):
   * a debug trace for tools. Absent (the default), nothing is done per datagram.
   */
  trace?: (direction: 'in' | 'out', datagram: Uint8Array, peer: Peer) => void;
}

export interface EndpointStats {
  received: number;
  sent: number;
  retransmissions: number;
  /** Duplicate CON/NON messages recognised by the dedup cache. */
  duplicates: number;
  /** Datagrams dropped: undecodable NON/ACK, unmatched ACK/RST, stale notifications, bound hits without answer. */
  dropped: number;
  formatErrors: number;
  resetsSent: number;
  resetsReceived: number;
  badOptions: number;
  timeouts: number;
  handlerRuns: number;
  handlerErrors: number;
  separateResponses: number;
  /** No dedup entry could make room (all still being processed: the peer's own at its share, or all in a full cache): 5.03 (CON) or drop (NON). */
  dedupFull: number;
  /** Finished exchanges given up to make room, by a peer at its share or by a full cache (their duplicates would run again). */
  dedupEvicted: number;
  queueFull: number;
  exchangesFull: number;
  blockSessionsFull: number;
  observeRejected: number;
  notificationsSent: number;
  notificationsReceived: number;
  staleNotifications: number;
  /** Requests from a peer the application does not serve (PeerAdmission), dropped before they were decoded. */
  notServed: number;
  /** Entries refused because their peer held its share of a table (fair-share.ts). */
  overShare: number;
}

/** One bounded table: entries now, the most there ever were, the most one peer ever held, and the bounds. */
export interface TableUse {
  size: number;
  peak: number;
  peakPerPeer: number;
  capacity: number;
  /** What one peer may hold (fair-share.ts). */
  share: number;
}

/** The endpoint's bounded tables. */
export interface TableOccupancy {
  dedup: TableUse;
  block1: TableUse;
  block2: TableUse;
  relations: TableUse;
  /** Our CON messages awaiting their ACK (requests, separate responses, notifications). */
  cons: TableUse;
  /** Requests whose handler is still running (each holds a dedup entry). */
  inProgress: number;
  /** Our requests waiting for an NSTART slot, and the most waiting for one peer (bound: maxQueuedRequests per peer). */
  queued: number;
  queuedPerPeer: number;
}

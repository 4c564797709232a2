// The records that travel through the CoAP stack. Plain data, created once per
// request or message and kept in the bounded tables of the layers; the layers
// themselves are long-lived objects that act on them.
import { Code, OptionNumber, type CoapMessage, type CoapOption } from './message';
import { blockOption, decodeUint, optionText, type BlockValue } from './options';
import type { CoapResponse, IncomingRequest, ObserveRelation, Peer, RequestOptions } from './api';
import type { DedupEntry } from './dedup';
import type { Due } from './deadlines';
import { EMPTY } from './compose';

/** Who is told what became of a CON message (reliability layer, RFC 7252 §4.2). */
export interface OutgoingOwner {
  acked(out: Outgoing, msg: CoapMessage): void;
  /** `out` is null when the RST matched a NON message (only the subject is known then). */
  reset(subject: OutgoingSubject, out: Outgoing | null): void;
  timedOut(out: Outgoing): void;
  /** Optional: `out` is about to be sent again. */
  retransmitting?(out: Outgoing): void;
}

/** A request we sent, a notification of a relation, or a separate response (its relation, if any). */
export type OutgoingSubject = ClientExchange | ObservedRelation | null;

/** A CON message awaiting its ACK, retransmitted with exponential back-off. */
export interface Outgoing extends Due {
  readonly key: string;
  /** Key of its peer (transport.ts peerKey). */
  readonly peerKey: string;
  readonly peer: Peer;
  readonly messageId: number;
  readonly bytes: Uint8Array;
  retransmits: number;
  /** The current back-off, ms (doubles with each retransmission). */
  timeout: number;
  readonly owner: OutgoingOwner;
  readonly subject: OutgoingSubject;
}

/** One request we send, from the first to the last block, and its Observe registration. */
export interface ClientExchange extends Due {
  readonly kind: 'request';
  readonly peer: Peer;
  readonly peerKey: string;
  token: Uint8Array;
  tokenHex: string;
  readonly req: RequestOptions;
  /** Options every message of the request carries (built once). */
  readonly options: CoapOption[];
  readonly body: Uint8Array;
  messageId: number;
  /** Its CON message in flight, until ACKed. */
  con: Outgoing | null;
  /** The request's own deadline (RequestOptions.timeout), absolute ms or Infinity. */
  deadline: number;
  /** End of the wait for a separate or NON response, absolute ms or Infinity. */
  responseDue: number;
  /** Block1 (RFC 7959 §2.3): offset and length of the block in flight, current SZX. */
  b1Offset: number;
  b1Len: number;
  b1Szx: number;
  /** Block2 (§2.4): blocks received so far (null until a body comes in blocks), their total, the first response, the next block to ask for. */
  parts: Uint8Array[] | null;
  received: number;
  first: CoapMessage | null;
  b2Next: { num: number; szx: number } | null;
  /** RFC 7641: where notifications go once the registration succeeded … */
  onNotify: ((res: CoapResponse) => void) | null;
  /** … and the observation it made, which takes over the token when the exchange moves on. */
  observation: ObservationRecord | null;
  /** Holds an NSTART slot of its peer (RFC 7252 §4.7). */
  started: boolean;
  done: boolean;
  resolve: (r: CoapResponse) => void;
  reject: (e: Error) => void;
}

/** An observation we hold at a peer (RFC 7641 §3), matched by its token. */
export interface ObservationRecord {
  readonly kind: 'observation';
  readonly key: string;
  readonly peer: Peer;
  readonly token: Uint8Array;
  readonly req: RequestOptions;
  lastSeq: number;
  lastTime: number;
  readonly onNotify: (res: CoapResponse) => void;
}

/** What the matcher finds for a token. */
export type TokenOwner = ClientExchange | ObservationRecord;

/** A server-side relation as the lower layers see it. */
export interface ObservedRelation extends ObserveRelation {
  readonly key: string;
  /** Key of its peer (transport.ts peerKey). */
  readonly peerKey: string;
  /** Where a notification's whole body is kept for Block2 follow-ups. */
  readonly bodyKey: string;
  readonly szx: number;
  /** Its CON notification in flight, and the promise of that notify(). */
  con: Outgoing | null;
  settle: { resolve: () => void; reject: (e: Error) => void } | null;
}

/** What a ServerExchange asks of the observe layer. */
export interface ObserveAcceptor {
  accept(sx: ServerExchange): ObserveRelation | null;
}

/** One request we received, from arrival to its piggybacked or separate response. */
export class ServerExchange implements IncomingRequest, Due {
  readonly method: number;
  readonly path: string[];
  readonly query: string[];
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly observe?: number;
  payload: Uint8Array = EMPTY;
  relation: ObservedRelation | null = null;
  /** Block1 of the last block, echoed in the final response (RFC 7959 §2.3). */
  block1Echo: BlockValue | null = null;
  /** This block of a streamed body (IncomingRequest.block1). */
  block1?: { num: number; offset: number; size: number; more: boolean };
  /** Its Block1 option, echoed in the answer to this block. */
  streamedBlock: BlockValue | null = null;
  /** Its Block2 option (RFC 7959 §2.4): the block asked for; undefined when absent or malformed (see refusal). */
  block2: BlockValue | undefined;
  /**
   * The answer the stack gives by itself, before any handler, or 0: 5.05 to a proxy request (Proxy-Uri or
   * Proxy-Scheme, RFC 7252 §5.7.2), else 4.00 to a malformed Block1 or Block2 option (RFC 7959 §2.2).
   */
  readonly refusal: number;
  /** When the empty ACK goes out if the handler has not answered (separate response, §5.2.2). */
  due = Infinity;
  dueOwner: Due['dueOwner'] = null;
  finished = false;

  constructor(
    private readonly acceptor: ObserveAcceptor,
    readonly message: CoapMessage,
    readonly peer: Peer,
    readonly entry: DedupEntry,
  ) {
    this.method = message.code;
    // One pass over the options for all a request's own (a repeated single option: its first value counts).
    const path: string[] = [];
    const query: string[] = [];
    let contentFormat: number | undefined, accept: number | undefined, observe: number | undefined;
    let block1: CoapOption | undefined, block2: CoapOption | undefined;
    let proxied = false;
    const options = message.options;
    for (let i = 0; i < options.length; i++) {
      const o = options[i]!;
      switch (o.number) {
        case OptionNumber.URI_PATH:
          path.push(optionText(o.value));
          break;
        case OptionNumber.URI_QUERY:
          query.push(optionText(o.value));
          break;
        case OptionNumber.CONTENT_FORMAT:
          if (contentFormat === undefined) contentFormat = decodeUint(o.value);
          break;
        case OptionNumber.ACCEPT:
          if (accept === undefined) accept = decodeUint(o.value);
          break;
        case OptionNumber.OBSERVE:
          // RFC 7641: 0-3 bytes; a longer value reads as no Observe.
          if (observe === undefined && o.value.length <= 3) observe = decodeUint(o.value);
          break;
        case OptionNumber.BLOCK1:
          block1 ??= o;
          break;
        case OptionNumber.BLOCK2:
          block2 ??= o;
          break;
        case OptionNumber.PROXY_URI:
        case OptionNumber.PROXY_SCHEME:
          proxied = true;
      }
    }
    this.path = path;
    this.query = query;
    this.contentFormat = contentFormat;
    this.accept = accept;
    this.observe = observe;
    const b2 = blockOption(block2);
    this.block2 = b2 ?? undefined;
    this.refusal = proxied ? Code.PROXYING_NOT_SUPPORTED : b2 === null || blockOption(block1) === null ? Code.BAD_REQUEST : 0;
  }

  /** Key of its peer (transport.ts peerKey): its dedup entry's. */
  get peerKey(): string {
    return this.entry.peer;
  }

  acceptObserve(): ObserveRelation | null {
    return this.acceptor.accept(this);
  }
}

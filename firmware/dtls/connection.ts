// One DTLS association with one peer (address, port): the record layer's
// per-connection state (epochs 0 and 1, write sequence numbers, a replay
// window per epoch, RFC 6347 §4.1), the outgoing flight and its
// retransmission timer (§4.2.4), handshake reassembly (§4.2.3), alerts, and
// the bounded queue of application data waiting for the handshake. The
// handshake itself is a role object (client-handshake.ts, server-handshake.ts)
// driving this through a few methods. Renegotiation is not supported
// (RFC 7925 §17), so an association only ever has epochs 0 and 1. With a
// Connection ID (RFC 9146) its records of epoch 1 take the tls12_cid form,
// and a server follows its peer to a new address (§6).
//
// The record layer of one association and its flight machinery are one file:
// they share the epoch and sequence state RFC 6347 §4.1 defines.
import type { Random, TimerHandle, Timers } from '../platform/ports';
import type { DtlsCrypto } from './crypto';
import type { DtlsStats } from './stats';
import type { RecordProtection, SuiteDefinition } from './cipher-suite';
import type { ResumableSession } from './session-cache';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  DTLS_1_2,
  HANDSHAKE_HEADER_LENGTH,
  HandshakeType,
  MAX_PLAINTEXT_LENGTH,
  MAX_SEQUENCE_NUMBER,
  RECORD_HEADER_LENGTH,
} from './constants';
import { concat } from './bytes';
import { encodeRecord, type DtlsRecord } from './record';
import { decodeInnerPlaintext, encodeInnerPlaintext } from './connection-id';
import { ReplayWindow } from './replay-window';
import { HandshakeReassembler, REASSEMBLY_LIMITS, type HandshakeMessage } from './reassembly';
import { encodeHandshakeFragment, parseHandshakeFragments } from './handshake-messages';

/** Retransmission timer of RFC 6347 §4.2.4.1: initial 1 s, doubled on each expiry up to a cap, given up after a count. */
export interface RetransmitPolicy {
  initialMs: number;
  maxMs: number;
  maxRetransmits: number;
}

/** How an association ended. */
export interface SessionEnd {
  /** `abandoned`: dropped without a word, the device deep-sleeps or loses power (DtlsTransport.abandon). */
  reason:
    'timeout' | 'peer_alert' | 'local_alert' | 'close_notify' | 'local_close' | 'replaced' | 'evicted' | 'sequence_exhausted' | 'abandoned';
  /** AlertDescription received or sent, for the alert reasons. */
  alert?: number;
  /** True when it ended before the handshake completed. */
  duringHandshake: boolean;
  /** A timeout while our Finished waited for the peer's: it heard us but could not (or would not) verify it. */
  finishedUnanswered?: boolean;
}

export interface EstablishedSession {
  identity: Uint8Array;
  cipherSuite: number;
  resumed: boolean;
  /** What resuming it later needs; null when the server gave no session_id. */
  session: ResumableSession | null;
}

/** What the transport provides to its connections. */
export interface ConnectionHost {
  readonly crypto: DtlsCrypto;
  readonly random: Random;
  readonly timers: Timers;
  readonly stats: DtlsStats;
  /** Largest datagram we send (handshake flights are fragmented to fit, §4.1.1.1). */
  readonly mtu: number;
  /** The client role's flights; the server role's (serverRetransmit) give up sooner: a half-open handshake holds a table slot. */
  readonly retransmit: RetransmitPolicy;
  readonly serverRetransmit: RetransmitPolicy;
  /** Bounds of the queue of application data sent before the handshake completed. */
  readonly maxQueuedDatagrams: number;
  readonly maxQueuedBytes: number;
  /** The datagram being read: a serial number (one per datagram) and its size, for the bounds on what we send back. */
  readonly inbound: { readonly serial: number; readonly bytes: number };
  sendDatagram(conn: Connection, bytes: Uint8Array): void;
  deliver(conn: Connection, data: Uint8Array): void;
  /** Server role: an authenticated, newest CID record came from another address (RFC 9146 §6); the host re-keys and calls moveTo. */
  peerMoved(conn: Connection, address: string, port: number): void;
  established(conn: Connection, s: EstablishedSession): void;
  ended(conn: Connection, end: SessionEnd): void;
}

/** The handshake state machine of one role, fed whole messages in message_seq order. */
export interface HandshakeRole {
  handle(m: HandshakeMessage): void;
  /** A ChangeCipherSpec arrived; false when it was not expected now. */
  changeCipherSpec(): boolean;
  /** Waiting for the peer's ChangeCipherSpec (a record of epoch 1 may overtake it). */
  readonly awaitingChangeCipherSpec: boolean;
  /** Waiting for the peer's Finished (the only record of epoch 1 it may send now). */
  readonly awaitingFinished: boolean;
}

interface FlightEntry {
  epoch: number;
  /** HandshakeType, or -1 for a ChangeCipherSpec. */
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
}

/** Where a datagram came from. */
export interface PeerAddress {
  address: string;
  port: number;
}

/**
 * An established client session as a deep sleep keeps it (the device's retained memory, lwm2m/queue-mode/sleep-state.ts):
 * the keys of epoch 1 as their key block, the next write sequence_number, the replay window, the CIDs. With them
 * the woken device sends protected records at once, no handshake (the server finds the session by its CID).
 * Secret: never logged; the owner wipes it.
 */
export interface KeptSession {
  cipherSuite: number;
  keyBlock: Uint8Array;
  /** The next sequence_number of epoch 1 we send: never used twice with these keys (a CCM nonce). */
  writeSequenceNumber: number;
  /** ReplayWindow.save() of epoch 1. */
  readWindow: Uint8Array;
  /** The CID the server puts in its records to us (null: none), and the one we put in ours. */
  readCid: Uint8Array | null;
  writeCid: Uint8Array | null;
}

/** Cap of the budget of an address being proved, in MTUs (RFC 9146 §6): a few answers ahead, never a stream. */
const MAX_BUDGET_DATAGRAMS = 4;
/**
 * A flight resent because the peer repeated its own (§4.2.4) is at most this many times the datagram that asked
 * for it: anyone can send that datagram with the peer's address, so it must not buy a bigger answer. A real
 * repeated flight is the whole flight, which our answer fits; a smaller one waits for our timer.
 */
const MAX_RESEND_FACTOR = 3;

const CCS = -1;
const CCS_BODY = Uint8Array.of(1);
/**
 * Largest record of epoch 1 kept while the peer's ChangeCipherSpec is due (its Finished, which may overtake it): a
 * Finished record is under 100 bytes with either suite; anything longer is not one and is dropped.
 */
export const MAX_EARLY_RECORD_LENGTH = 256;
/** A handshake fragment smaller than this starts a new datagram instead (a 1-byte fragment is legal but wasteful). */
const MIN_FRAGMENT = 32;

export class Connection {
  handshake: HandshakeRole | null = null;
  isEstablished = false;
  ended = false;
  /** PSK identity once the handshake has fixed it. */
  identity: Uint8Array | null = null;
  cipherSuite = 0;
  /** Server role: the ClientHello.random this association was made from (tells a retransmission from a new hello, §4.2.8). */
  clientRandom: Uint8Array | null = null;
  /** Server role: the session_id (for invalidating it on a fatal alert). */
  sessionId: Uint8Array | null = null;
  /** Client role: the handshake offered a cached session. */
  offeredResumption = false;
  /** Server role: the client's PSK identity is unknown here (the handshake goes on with a random key, to fail at Finished). */
  unknownIdentity = false;
  lastActivity: number;
  /** The hellos exchanged connection_id extensions (either CID may still be empty). */
  cidNegotiated = false;
  /** RFC 9146: the CID the peer puts in its records to us, and the one we put in ours; null: that direction uses the RFC 6347 format. */
  readCid: Uint8Array | null = null;
  writeCid: Uint8Array | null = null;
  /** The CID we issued for this association (offered in a ClientHello, or given in a ServerHello); the host's table names it until the end. */
  issuedCid: Uint8Array | null = null;
  /** Client role: the key block of epoch 1, for keeping the session across a deep sleep (keep()); wiped at the end. */
  private keyBlock: Uint8Array | null = null;

  readonly reassembler: HandshakeReassembler;
  /**
   * Every handshake message of this handshake as hashed for Finished (§4.2.6): reset by the client after
   * HelloVerifyRequest, emptied once established. Bounded by the handshake itself: at most 8 messages
   * (a full PSK handshake), each within the role's REASSEMBLY_LIMITS (or ours, which are smaller).
   */
  transcript: Uint8Array[] = [];
  /** message_seq of our next handshake message. */
  nextSendSeq: number;

  private readEpoch = 0;
  private writeEpoch = 0;
  private readonly writeSeq = [0, 0];
  private readonly readProtection: (RecordProtection | null)[] = [null, null];
  private readonly writeProtection: (RecordProtection | null)[] = [null, null];
  private readonly replay = [new ReplayWindow(), new ReplayWindow()];
  /** One record of epoch 1 that overtook the ChangeCipherSpec (RFC 6347 §4.1 lets us keep it), and where it came from. */
  private futureRecord: DtlsRecord | null = null;
  private futureFrom: PeerAddress | null = null;

  private flight: FlightEntry[] = [];
  private timer: TimerHandle | null = null;
  private timeoutMs: number;
  private retransmits = 0;
  /** message_seq of the last message of the peer's previous flight: seeing it again means our reply was lost (§4.2.4). */
  private peerFlightEndSeq = -1;
  /** When our flight last went out, its size, and the datagram that last asked for it again (at most one resend each). */
  private flightSentAt = -Infinity;
  private flightBytes = 0;
  private resentFor = -1;
  /** The datagram whose renegotiation request was last refused (one no_renegotiation per datagram). */
  private refusedFor = -1;

  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /**
   * After a move to an address nothing has yet shown to be the peer's (RFC 9146 §6, third condition): the bytes we may
   * still send there. Each authenticated record from it adds one MTU, up to a cap, so a request gets its answer but a
   * replayed record cannot aim a stream at a victim. Null while the address is the one the handshake ran on.
   */
  private sendBudget: number | null = null;

  constructor(
    readonly host: ConnectionHost,
    public address: string,
    public port: number,
    readonly role: 'client' | 'server',
    firstReceiveSeq = 0,
    firstSendSeq = 0,
    firstWriteSequenceNumber = 0,
  ) {
    this.reassembler = new HandshakeReassembler(firstReceiveSeq, REASSEMBLY_LIMITS[role]);
    this.nextSendSeq = firstSendSeq;
    this.writeSeq[0] = firstWriteSequenceNumber;
    this.timeoutMs = this.policy.initialMs;
    this.lastActivity = host.timers.now();
  }

  private get policy(): RetransmitPolicy {
    return this.role === 'server' ? this.host.serverRetransmit : this.host.retransmit;
  }

  // ---- driven by the handshake role ----

  /** Adds a received message to the transcript, in the form hashed for Finished (§4.2.6: as if unfragmented). */
  transcribe(m: HandshakeMessage): void {
    this.transcript.push(encodeHandshakeFragment(m.msgType, m.messageSeq, m.body));
  }

  transcriptHash(): Uint8Array {
    return this.host.crypto.sha256(...this.transcript);
  }

  /** Starts a new outgoing flight: the previous one is acknowledged by the peer's reply (§4.2.4). */
  beginFlight(): void {
    this.cancelTimer();
    this.flight = [];
  }

  queueHandshake(msgType: number, body: Uint8Array): void {
    const messageSeq = this.nextSendSeq++;
    this.flight.push({ epoch: this.writeEpoch, msgType, messageSeq, body });
    this.transcript.push(encodeHandshakeFragment(msgType, messageSeq, body));
  }

  /** Queues ChangeCipherSpec and switches writing to epoch 1 (RFC 5246 §7.1). */
  queueChangeCipherSpec(): void {
    this.flight.push({ epoch: this.writeEpoch, msgType: CCS, messageSeq: -1, body: CCS_BODY });
    this.writeEpoch = 1;
  }

  /** RFC 9146 §3: the CIDs the hellos named; an empty one leaves its direction in the RFC 6347 format. */
  useConnectionIds(read: Uint8Array, write: Uint8Array): void {
    this.cidNegotiated = true;
    this.readCid = read.length > 0 ? read : null;
    this.writeCid = write.length > 0 ? write.slice() : null;
  }

  /** The peer now sends from here (called by the host after an authenticated, newest record, RFC 9146 §6). */
  moveTo(address: string, port: number): void {
    this.address = address;
    this.port = port;
    this.sendBudget = 0;
  }

  /** Keys of epoch 1, in force for writing after our ChangeCipherSpec and for reading after the peer's. */
  setPendingKeys(suite: SuiteDefinition, keyBlock: Uint8Array): void {
    const client = this.role === 'client';
    this.writeProtection[1] = suite.protection(this.host.crypto, this.host.random, keyBlock, client);
    this.readProtection[1] = suite.protection(this.host.crypto, this.host.random, keyBlock, !client);
    if (client) this.keyBlock = keyBlock.slice();
    keyBlock.fill(0);
  }

  /** The established client session as a deep sleep keeps it (a copy); null when there is none to keep. */
  keep(): KeptSession | null {
    if (!this.isEstablished || this.ended || this.keyBlock === null) return null;
    return {
      cipherSuite: this.cipherSuite,
      keyBlock: this.keyBlock.slice(),
      writeSequenceNumber: this.writeSeq[1],
      readWindow: this.replay[1].save(),
      readCid: this.readCid?.slice() ?? null,
      writeCid: this.writeCid?.slice() ?? null,
    };
  }

  /** A client association established from what keep() gave before a deep sleep: it sends and reads epoch 1 at once. */
  static resumeKept(
    host: ConnectionHost,
    address: string,
    port: number,
    k: KeptSession,
    suite: SuiteDefinition,
    identity: Uint8Array,
  ): Connection | null {
    const c = new Connection(host, address, port, 'client');
    if (!c.replay[1].load(k.readWindow) || k.keyBlock.length !== suite.keyBlockLength) return null;
    c.setPendingKeys(suite, k.keyBlock.slice());
    c.readEpoch = c.writeEpoch = 1;
    c.writeSeq[1] = k.writeSequenceNumber;
    c.cidNegotiated = true;
    c.readCid = k.readCid?.slice() ?? null;
    c.writeCid = k.writeCid?.slice() ?? null;
    c.isEstablished = true;
    c.identity = identity.slice();
    c.cipherSuite = suite.id;
    return c;
  }

  activateRead(): void {
    this.readEpoch = 1;
  }

  /**
   * Sends the flight; a flight that expects an answer is retransmitted on the timer, the last flight only when the peer
   * repeats its own. `carryQueued`: our flight is the last and the peer's Finished verified (a client resuming), so the
   * application data that waited goes in the same datagrams, after our Finished: one datagram less, and a record that
   * could otherwise overtake the Finished and be dropped as early (a peer keeps one such record) cannot. Only on this
   * first sending: a resent flight carries none (the layer above repeats its own messages).
   */
  sendFlight(expectsReply: boolean, carryQueued = false): void {
    this.peerFlightEndSeq = this.reassembler.nextSeq - 1;
    this.retransmits = 0;
    this.timeoutMs = this.policy.initialMs;
    let carried: Uint8Array[] | null = null;
    if (carryQueued && this.queue.length > 0) {
      carried = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
    }
    this.transmitFlight(carried);
    if (expectsReply) this.armTimer();
  }

  /** The handshake completed: stop the timer (the peer's flight acknowledged ours) and flush queued data. */
  establish(s: EstablishedSession): void {
    this.handshake = null;
    this.isEstablished = true;
    this.identity = s.identity;
    this.cipherSuite = s.cipherSuite;
    if (this.timer !== null) {
      this.cancelTimer();
      this.flight = [];
    }
    this.transcript = [];
    this.reassembler.clear();
    this.host.established(this, s);
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const d of queued) if (!this.ended) this.sendApplicationData(d);
  }

  /** Ends the handshake with a fatal alert we send (RFC 5246 §7.2.2). */
  fail(alert: number): void {
    if (this.ended) return;
    this.sendAlert(AlertLevel.fatal, alert);
    this.end({ reason: 'local_alert', alert, duringHandshake: !this.isEstablished });
  }

  // ---- driven by the transport ----

  /** Application data: sent now when established, queued (bounded) while the handshake runs. */
  send(data: Uint8Array): void {
    if (this.ended) {
      this.host.stats.sendDrops++;
      return;
    }
    if (this.isEstablished) {
      this.sendApplicationData(data);
      return;
    }
    if (this.queue.length >= this.host.maxQueuedDatagrams || this.queuedBytes + data.length > this.host.maxQueuedBytes) {
      this.host.stats.sendDrops++;
      return;
    }
    this.queue.push(data.slice());
    this.queuedBytes += data.length;
  }

  /** close_notify to the peer (RFC 5246 §7.2.1), then the association is gone. */
  close(): void {
    if (this.ended) return;
    this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
    this.end({ reason: 'local_close', duringHandshake: !this.isEstablished });
  }

  /** Ends without a word to the peer (a newer handshake from the same address replaced it, or the transport closes). */
  drop(reason: SessionEnd['reason']): void {
    this.end({ reason, duringHandshake: !this.isEstablished });
  }

  /** A record for this association; `from` is where its datagram came from (a tls12_cid record may come from anywhere). */
  receiveRecord(rec: DtlsRecord, from: PeerAddress | null = null): void {
    if (this.ended) return;
    const s = this.host.stats;
    if (rec.epoch > 1) {
      s.badEpoch++;
      return;
    }
    if (rec.epoch > this.readEpoch) {
      // Kept only while the peer's ChangeCipherSpec is due: earlier, it is a late record of a previous session.
      if (this.futureRecord === null && this.handshake?.awaitingChangeCipherSpec && rec.fragment.length <= MAX_EARLY_RECORD_LENGTH) {
        this.futureRecord = { ...rec, fragment: rec.fragment.slice(), cid: rec.cid?.slice() ?? null };
        this.futureFrom = from;
      } else s.badEpoch++;
      return;
    }
    // After the peer's ChangeCipherSpec only its retransmitted handshake messages may still come in epoch 0.
    if (rec.epoch < this.readEpoch && rec.type !== ContentType.handshake) {
      s.badEpoch++;
      return;
    }
    // RFC 9146 §3: once protected, a direction with a CID uses tls12_cid records only, one without never does.
    const withCid = rec.cid !== null;
    if (rec.epoch === 1 && withCid !== (this.readCid !== null)) {
      s.unexpected++;
      return;
    }
    const sameAddress = from === null || (from.address === this.address && from.port === this.port);
    const window = this.replay[rec.epoch];
    if (!window.check(rec.sequenceNumber)) {
      s.replayed++;
      return;
    }
    let plaintext = rec.fragment;
    let type = rec.type;
    if (rec.epoch === 1) {
      const opened = this.readProtection[1]!.open(rec.type, rec.epoch, rec.sequenceNumber, rec.version, rec.fragment, rec.cid);
      if (opened === null) {
        s.authFailures++;
        // Silently dropped (RFC 6347 §4.1.2.7), except a handshake record in place of the peer's Finished: then our keys differ from
        // the peer's, which with PSK means the keys do not match; a fatal bad_record_mac ends it (§4.1.2.7 allows it). A CID
        // record hides its type: from the peer's address, it is taken for that Finished; from elsewhere, anyone could have sent it.
        if ((withCid ? sameAddress : rec.type === ContentType.handshake) && this.handshake?.awaitingFinished)
          this.fail(AlertDescription.bad_record_mac);
        return;
      }
      plaintext = opened;
      if (withCid) {
        const inner = decodeInnerPlaintext(opened);
        if (inner === null) {
          s.unexpected++;
          return;
        }
        type = inner.type;
        plaintext = inner.content;
      }
    } else if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
      s.badRecords++;
      return;
    }
    const newest = window.isNewest(rec.sequenceNumber);
    window.mark(rec.sequenceNumber);
    this.lastActivity = this.host.timers.now();
    if (withCid) {
      s.cidRecordsIn++;
      if (from !== null) this.followPeer(from, sameAddress, newest);
    }
    switch (type) {
      case ContentType.handshake:
        this.receiveHandshake(rec.epoch, plaintext);
        break;
      case ContentType.change_cipher_spec:
        this.receiveChangeCipherSpec(plaintext);
        break;
      case ContentType.alert:
        this.receiveAlert(plaintext);
        break;
      default:
        this.receiveApplicationData(rec.epoch, plaintext);
        break;
    }
  }

  /** After a datagram's records: a record that overtook the ChangeCipherSpec can now be read. */
  afterDatagram(): void {
    const f = this.futureRecord;
    if (f !== null && !this.ended && this.readEpoch >= f.epoch) {
      this.futureRecord = null;
      this.receiveRecord(f, this.futureFrom);
    }
  }

  /** What the peer's unauthenticated records make us hold: partial handshake messages and one early record (≤ 2 KiB, reassembly.ts). */
  get handshakeBufferBytes(): number {
    return this.reassembler.bufferedBytes + (this.futureRecord?.fragment.length ?? 0);
  }

  get pendingBytes(): number {
    return this.handshakeBufferBytes + this.queuedBytes;
  }

  // ---- internals ----

  /**
   * An authenticated CID record (RFC 9146 §6). From another address, a server moves there only when the record is also
   * newer than any before it (a late or replayed one must not undo a real move); a client stays with the address it
   * chose. From an address still being proved, each such record lets one more datagram's worth go back.
   */
  private followPeer(from: PeerAddress, sameAddress: boolean, newest: boolean): void {
    if (!sameAddress) {
      if (!newest || !this.isEstablished || this.role !== 'server') return;
      this.host.peerMoved(this, from.address, from.port);
      if (this.ended || this.address !== from.address || this.port !== from.port) return;
    }
    const mtu = this.host.mtu;
    if (this.sendBudget !== null) this.sendBudget = Math.min(this.sendBudget + mtu, MAX_BUDGET_DATAGRAMS * mtu);
  }

  /** Every datagram of this association leaves here: to an address being proved, only within its budget. */
  private emit(bytes: Uint8Array): void {
    if (this.sendBudget !== null) {
      if (bytes.length > this.sendBudget) {
        this.host.stats.amplificationDrops++;
        return;
      }
      this.sendBudget -= bytes.length;
    }
    this.host.sendDatagram(this, bytes);
  }

  private receiveHandshake(epoch: number, plaintext: Uint8Array): void {
    const s = this.host.stats;
    let fragments;
    try {
      fragments = parseHandshakeFragments(plaintext);
    } catch {
      s.unexpected++;
      return;
    }
    for (const f of fragments) {
      if (this.isEstablished && f.msgType === (this.role === 'client' ? HandshakeType.hello_request : HandshakeType.client_hello)) {
        this.refuseRenegotiation(epoch);
        continue;
      }
      // Finished is the one handshake message of epoch 1; anything else there, or a Finished in clear, is not ours.
      if ((f.msgType === HandshakeType.finished) !== (epoch === 1)) {
        s.unexpected++;
        continue;
      }
      const isNew = f.messageSeq >= this.reassembler.nextSeq;
      if (isNew && (this.handshake === null || epoch < this.readEpoch)) {
        s.unexpected++;
        continue;
      }
      const r = this.reassembler.add(f);
      if (r === 'old') {
        if (f.messageSeq === this.peerFlightEndSeq && f.fragmentOffset === 0 && this.flight.length > 0) this.resendFlight(epoch);
      } else if (r === 'dropped') s.reassemblyDrops++;
    }
    for (let m = this.reassembler.take(); m !== null && this.handshake !== null && !this.ended; m = this.reassembler.take()) {
      this.handshake.handle(m);
    }
  }

  /**
   * No renegotiation (RFC 7925 §17; RFC 5746 §4.2): a HelloRequest (or a client's new ClientHello) on an established
   * session gets a warning no_renegotiation, once per datagram, and only when it came protected (epoch 1): one in
   * clear could come from anyone, and an answer to each would make us a reflector.
   */
  private refuseRenegotiation(epoch: number): void {
    const serial = this.host.inbound.serial;
    if (epoch !== 1 || this.refusedFor === serial) {
      this.host.stats.unexpected++;
      return;
    }
    this.refusedFor = serial;
    this.sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
  }

  /**
   * The peer repeated the last message of its flight: ours was lost, send it again (§4.2.4). At most once per datagram,
   * not within half the initial timer of its last sending, never more than MAX_RESEND_FACTOR times the datagram's
   * size; and our last flight (no timer: nothing of ours follows) only for the peer's Finished, which authenticated.
   */
  private resendFlight(epoch: number): void {
    const s = this.host.stats;
    const inbound = this.host.inbound;
    if (this.timer === null && epoch !== 1) {
      s.unexpected++;
      return;
    }
    if (this.resentFor === inbound.serial) return;
    this.resentFor = inbound.serial;
    if (this.host.timers.now() - this.flightSentAt < this.policy.initialMs / 2 || this.flightBytes > MAX_RESEND_FACTOR * inbound.bytes) {
      s.resendsWithheld++;
      return;
    }
    s.retransmissions++;
    this.transmitFlight();
  }

  private receiveChangeCipherSpec(plaintext: Uint8Array): void {
    if (plaintext.length !== 1 || plaintext[0] !== 1 || this.handshake === null || !this.handshake.changeCipherSpec()) {
      this.host.stats.unexpected++;
    }
  }

  private receiveAlert(plaintext: Uint8Array): void {
    if (plaintext.length !== 2) {
      this.host.stats.unexpected++;
      return;
    }
    this.host.stats.alertsReceived++;
    const [level, description] = plaintext;
    if (description === AlertDescription.close_notify) {
      // Answer with our own close_notify (RFC 5246 §7.2.1), then forget the association.
      this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
      this.end({ reason: 'close_notify', duringHandshake: !this.isEstablished });
    } else if (level === AlertLevel.fatal) {
      this.end({ reason: 'peer_alert', alert: description, duringHandshake: !this.isEstablished });
    }
    // Warnings other than close_notify (no_renegotiation …) change nothing.
  }

  private receiveApplicationData(epoch: number, plaintext: Uint8Array): void {
    if (!this.isEstablished || epoch !== 1) {
      this.host.stats.unexpected++;
      return;
    }
    // The peer is past its Finished: our last flight will not be asked for again.
    if (this.timer === null) this.flight = [];
    this.host.deliver(this, plaintext);
  }

  private sendApplicationData(data: Uint8Array): void {
    // With a CID the real type byte shares the 2^14 (RFC 9146 §4).
    if (data.length > MAX_PLAINTEXT_LENGTH - (this.writeCid ? 1 : 0)) {
      this.host.stats.sendDrops++;
      return;
    }
    const record = this.protect(ContentType.application_data, 1, data);
    if (record) this.emit(record);
  }

  private sendAlert(level: number, description: number): void {
    const record = this.protect(ContentType.alert, this.writeEpoch, Uint8Array.of(level, description));
    if (!record) return;
    this.host.stats.alertsSent++;
    this.emit(record);
  }

  /** One record of `epoch` with the next write sequence_number; null (and the association ends) if those ran out. */
  private protect(type: number, epoch: number, plaintext: Uint8Array): Uint8Array | null {
    const seq = this.writeSeq[epoch]++;
    if (seq > MAX_SEQUENCE_NUMBER) {
      // RFC 6347 §4.1: a sequence number must not wrap; without renegotiation the association ends.
      this.end({ reason: 'sequence_exhausted', duringHandshake: !this.isEstablished });
      return null;
    }
    const p = this.writeProtection[epoch];
    this.host.stats.recordsOut++;
    if (!p) return encodeRecord(type, epoch, seq, plaintext);
    const cid = this.writeCid;
    if (cid === null) return encodeRecord(type, epoch, seq, p.seal(type, epoch, seq, DTLS_1_2, plaintext));
    // RFC 9146 §4: the real type goes inside, the header says tls12_cid and names the peer's CID.
    this.host.stats.cidRecordsOut++;
    const outer = ContentType.tls12_cid;
    return encodeRecord(outer, epoch, seq, p.seal(outer, epoch, seq, DTLS_1_2, encodeInnerPlaintext(plaintext, type), cid), DTLS_1_2, cid);
  }

  /**
   * Packs the flight into datagrams of at most `mtu` bytes, fragmenting handshake messages (§4.2.3), then any
   * application data `carried` after it (epoch 1); each send uses fresh sequence numbers.
   */
  private transmitFlight(carried: Uint8Array[] | null = null): void {
    const mtu = this.host.mtu;
    let parts: Uint8Array[] = [];
    let size = 0;
    this.flightSentAt = this.host.timers.now();
    this.flightBytes = 0;
    const flush = (): void => {
      if (size === 0) return;
      this.flightBytes += size;
      this.emit(parts.length === 1 ? parts[0] : concat(parts));
      parts = [];
      size = 0;
    };
    const push = (record: Uint8Array | null): void => {
      if (!record) return;
      if (size + record.length > mtu) flush();
      parts.push(record);
      size += record.length;
    };
    for (const e of this.flight) {
      if (this.ended) return;
      if (e.msgType === CCS) {
        push(this.protect(ContentType.change_cipher_spec, e.epoch, e.body));
        continue;
      }
      const p = this.writeProtection[e.epoch];
      const overhead =
        RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + (p ? p.overhead + (this.writeCid ? this.writeCid.length + 1 : 0) : 0);
      let offset = 0;
      do {
        let room = mtu - size - overhead;
        if (room < e.body.length - offset && room < MIN_FRAGMENT) {
          flush();
          room = mtu - overhead;
        }
        const n = Math.min(e.body.length - offset, room);
        push(this.protect(ContentType.handshake, e.epoch, encodeHandshakeFragment(e.msgType, e.messageSeq, e.body, offset, n)));
        offset += n;
      } while (offset < e.body.length);
    }
    for (const d of carried ?? []) {
      if (this.ended) return;
      if (d.length > MAX_PLAINTEXT_LENGTH - (this.writeCid ? 1 : 0)) {
        this.host.stats.sendDrops++;
        continue;
      }
      push(this.protect(ContentType.application_data, 1, d));
    }
    flush();
  }

  private armTimer(): void {
    this.cancelTimer();
    this.timer = this.host.timers.setTimeout(() => this.onTimer(), this.timeoutMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.host.timers.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** RFC 6347 §4.2.4.1: on expiry, double the timer (up to its cap) and send the flight again; give up after the bound. */
  private onTimer(): void {
    this.timer = null;
    if (this.ended) return;
    if (this.retransmits >= this.policy.maxRetransmits) {
      this.end({
        reason: 'timeout',
        duringHandshake: !this.isEstablished,
        finishedUnanswered: this.handshake?.awaitingChangeCipherSpec === true,
      });
      return;
    }
    this.retransmits++;
    this.timeoutMs = Math.min(this.timeoutMs * 2, this.policy.maxMs);
    this.host.stats.retransmissions++;
    this.transmitFlight();
    this.armTimer();
  }

  private end(e: SessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelTimer();
    this.handshake = null;
    this.flight = [];
    this.transcript = [];
    this.reassembler.clear();
    this.futureRecord = null;
    this.futureFrom = null;
    this.host.stats.sendDrops += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.readProtection[1] = this.writeProtection[1] = null;
    this.keyBlock?.fill(0);
    this.keyBlock = null;
    this.host.ended(this, e);
  }
}

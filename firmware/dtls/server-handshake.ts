// The server side of the DTLS 1.2 PSK handshake (RFC 6347 §4.2, RFC 4279 §2),
// started by the transport only once a ClientHello carries a valid cookie
// (cookie.ts): ServerHello, [ServerKeyExchange with the identity hint],
// ServerHelloDone → ClientKeyExchange, ChangeCipherSpec, Finished →
// ChangeCipherSpec, Finished; or, for a session_id in its cache, the
// abbreviated ServerHello, ChangeCipherSpec, Finished → ChangeCipherSpec,
// Finished (RFC 5246 §7.3). A client's connection_id is answered with a CID
// of ours (RFC 9146 §3), in both kinds of handshake.
import type { HandshakeMessage } from './reassembly';
import type { Connection } from './connection';
import { madeWithKey, type ResumableSession } from './session-cache';
import {
  AlertDescription,
  DTLS_1_2,
  ExtensionType,
  HandshakeType,
  MAX_SESSION_ID_LENGTH,
  RANDOM_LENGTH,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
} from './constants';
import { suiteById } from './cipher-suite';
import {
  decodePskVector,
  encodePskVector,
  encodeServerHello,
  findExtension,
  offersDtls12,
  type ClientHello,
  type Extension,
} from './handshake-messages';
import { decodeConnectionIdExtension, encodeConnectionIdExtension, maxCidLengthFor } from './connection-id';
import { DecodeError } from './bytes';
import { HandshakeBase } from './handshake-base';

export interface ServerHandshakeOptions {
  /** Our cipher suites in order of preference. */
  suites: readonly number[];
  /** The key for a PSK identity, or null for an unknown identity. */
  keyFor(identity: Uint8Array): Uint8Array | null;
  /** psk_identity_hint sent in ServerKeyExchange; null sends none (RFC 4279 §2 lets the server omit it). */
  identityHint: Uint8Array | null;
  /** A cached session for a session_id, or undefined. */
  lookupSession(sessionId: Uint8Array): ResumableSession | undefined;
  /** Whether new sessions get a session_id (a cache to resume them from). */
  issueSessionIds: boolean;
  /** A new CID of ours for this association (empty: we want none), or null when none could be had; null here: no CID support. */
  issueConnectionId: (() => Uint8Array | null) | null;
  /** Refuse a client that does not offer the extended master secret (RFC 7627 §5.2: handshake_failure). */
  requireExtendedMasterSecret: boolean;
}

/** The length of the stand-in key for an unknown identity: that of the keys LwM2M deployments use (128-bit). */
const UNKNOWN_IDENTITY_KEY_LENGTH = 16;

export class ServerHandshake extends HandshakeBase {
  constructor(
    conn: Connection,
    private readonly opts: ServerHandshakeOptions,
  ) {
    super(conn, false);
    this.state = 'wait_client_key_exchange';
    this.serverRandom = conn.host.random.bytes(RANDOM_LENGTH);
  }

  /** Answers the (cookie-verified) ClientHello, already decoded by the transport. */
  start(ch: ClientHello, m: HandshakeMessage): void {
    this.conn.transcribe(m);
    this.clientRandom = ch.random.slice();
    this.conn.clientRandom = this.clientRandom;
    if (!offersDtls12(ch.clientVersion)) {
      this.conn.fail(AlertDescription.protocol_version);
      return;
    }
    if (!ch.compressionMethods.includes(0)) {
      this.conn.fail(AlertDescription.illegal_parameter);
      return;
    }
    const reneg = findExtension(ch.extensions, ExtensionType.renegotiation_info);
    if (reneg && !(reneg.data.length === 1 && reneg.data[0] === 0)) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    const offersEms = findExtension(ch.extensions, ExtensionType.extended_master_secret) !== undefined;
    if (!offersEms && this.opts.requireExtendedMasterSecret) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    const extensions: Extension[] = [];
    // RFC 5746 §3.6: answer renegotiation_info (or its SCSV) with an empty one; we never renegotiate.
    if (reneg || ch.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) {
      extensions.push({ type: ExtensionType.renegotiation_info, data: Uint8Array.of(0) });
    }
    if (!this.answerConnectionId(ch, extensions)) return;
    const cached = ch.sessionId.length > 0 ? this.opts.lookupSession(ch.sessionId) : undefined;
    // RFC 5246 §7.4.1.2: resume only with the session's suite among the offered ones;
    // RFC 7627 §5.3: and only if the extended master secret is used exactly as it was.
    // And only while the identity still has the key the session was made with (not withdrawn, not changed).
    const currentKey = cached ? this.opts.keyFor(cached.identity) : null;
    if (
      cached &&
      ch.cipherSuites.includes(cached.cipherSuite) &&
      cached.extendedMasterSecret === offersEms &&
      currentKey !== null &&
      madeWithKey(this.conn.host.crypto, cached, currentKey)
    ) {
      this.resumeSession(cached, extensions);
      return;
    }
    const id = this.opts.suites.find((s) => ch.cipherSuites.includes(s));
    const suite = id === undefined ? undefined : suiteById(id);
    if (!suite) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    this.suite = suite;
    this.extendedMaster = offersEms;
    if (offersEms) extensions.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
    this.sessionId = this.opts.issueSessionIds ? this.conn.host.random.bytes(MAX_SESSION_ID_LENGTH) : new Uint8Array(0);
    this.conn.sessionId = this.opts.issueSessionIds ? this.sessionId : null;
    this.conn.beginFlight();
    this.conn.queueHandshake(HandshakeType.server_hello, this.serverHello(extensions));
    if (this.opts.identityHint) this.conn.queueHandshake(HandshakeType.server_key_exchange, encodePskVector(this.opts.identityHint));
    this.conn.queueHandshake(HandshakeType.server_hello_done, new Uint8Array(0));
    this.conn.sendFlight(true);
  }

  /**
   * RFC 9146 §3: the client's CID goes in our records to it; ours, in the ServerHello, goes in its records to us.
   * No offer, no support, or no CID to give: no extension, and both directions stay in the RFC 6347 format.
   */
  private answerConnectionId(ch: ClientHello, extensions: Extension[]): boolean {
    const offer = findExtension(ch.extensions, ExtensionType.connection_id);
    if (!offer || !this.opts.issueConnectionId) return true;
    let peerCid: Uint8Array;
    try {
      peerCid = decodeConnectionIdExtension(offer.data);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.conn.fail(AlertDescription.decode_error);
      return false;
    }
    if (peerCid.length > maxCidLengthFor(this.conn.host.mtu)) {
      // A CID that leaves our Finished no room in a datagram: answered as if we had no CID support.
      this.conn.host.stats.cidTooLong++;
      return true;
    }
    const ours = this.opts.issueConnectionId();
    if (ours === null) return true;
    extensions.push({ type: ExtensionType.connection_id, data: encodeConnectionIdExtension(ours) });
    this.conn.useConnectionIds(ours, peerCid);
    return true;
  }

  private serverHello(extensions: Extension[]): Uint8Array {
    return encodeServerHello({
      serverVersion: DTLS_1_2,
      random: this.serverRandom,
      sessionId: this.sessionId,
      cipherSuite: this.suite!.id,
      compressionMethod: 0,
      extensions,
    });
  }

  private resumeSession(cached: ResumableSession, extensions: Extension[]): void {
    this.suite = suiteById(cached.cipherSuite)!;
    this.resumed = true;
    this.sessionId = cached.sessionId;
    this.conn.sessionId = cached.sessionId;
    this.master = cached.masterSecret.slice();
    this.identity = cached.identity;
    this.extendedMaster = cached.extendedMasterSecret;
    this.pskCheck = cached.pskCheck;
    this.createdAt = cached.createdAt;
    if (this.extendedMaster) extensions.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
    this.conn.identity = this.identity;
    this.conn.beginFlight();
    this.conn.queueHandshake(HandshakeType.server_hello, this.serverHello(extensions));
    this.installKeys();
    this.queueFinished();
    this.conn.sendFlight(true);
    this.state = 'wait_change_cipher_spec';
  }

  protected dispatch(m: HandshakeMessage): void {
    if (this.state === 'wait_client_key_exchange' && m.msgType === HandshakeType.client_key_exchange) this.onClientKeyExchange(m);
    else this.conn.fail(AlertDescription.unexpected_message);
  }

  private onClientKeyExchange(m: HandshakeMessage): void {
    const identity = decodePskVector(m.body).slice();
    this.conn.transcribe(m);
    let key = this.opts.keyFor(identity);
    // RFC 4279 §2 lets a server answer an unknown identity with unknown_psk_identity "or, if it wishes to hide the
    // fact that the PSK identity was not known, decrypt_error": we go further and carry on with a random key, so the
    // handshake fails where a wrong key fails it (the client's Finished does not authenticate: bad_record_mac), after
    // the same work. Identities (usually endpoint names) cannot be enumerated.
    if (!key) {
      key = this.conn.host.random.bytes(UNKNOWN_IDENTITY_KEY_LENGTH);
      this.conn.unknownIdentity = true;
    }
    this.identity = identity;
    this.conn.identity = identity;
    this.deriveMasterSecret(key);
    if (this.conn.unknownIdentity) key.fill(0);
    this.installKeys();
    this.state = 'wait_change_cipher_spec';
  }
}

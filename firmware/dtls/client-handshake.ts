// The client side of the DTLS 1.2 PSK handshake (RFC 6347 §4.2, RFC 4279 §2):
//   full:        ClientHello → [HelloVerifyRequest → ClientHello+cookie] →
//                ServerHello, [ServerKeyExchange], ServerHelloDone →
//                ClientKeyExchange, ChangeCipherSpec, Finished → ChangeCipherSpec, Finished
//   abbreviated: ClientHello(session_id) → ServerHello, ChangeCipherSpec, Finished →
//                ChangeCipherSpec, Finished   (RFC 5246 §7.3, resumption)
// It offers the extended master secret (RFC 7627, required by RFC 7925 §16),
// an empty renegotiation_info (RFC 5746; OpenSSL 3 clients and servers
// insist on secure renegotiation support even though we never renegotiate),
// and, unless told not to, a connection_id (RFC 9146 §3).
import type { HandshakeMessage } from './reassembly';
import type { Connection } from './connection';
import type { ResumableSession } from './session-cache';
import { AlertDescription, DTLS_1_2, ExtensionType, HandshakeType, RANDOM_LENGTH } from './constants';
import { bytesEqual } from './bytes';
import { suiteById } from './cipher-suite';
import {
  decodeEmpty,
  decodeHelloVerifyRequest,
  decodePskVector,
  decodeServerHello,
  encodeClientHello,
  encodePskVector,
  findExtension,
  type Extension,
} from './handshake-messages';
import { decodeConnectionIdExtension, encodeConnectionIdExtension, maxCidLengthFor } from './connection-id';
import { HandshakeBase } from './handshake-base';

/** The identity and key the client presents to one server. */
export interface PskCredentials {
  identity: Uint8Array;
  key: Uint8Array;
}

/** How many HelloVerifyRequests one handshake answers (a server asks once; more is a loop). */
const MAX_HELLO_VERIFY_REQUESTS = 2;

export class ClientHandshake extends HandshakeBase {
  private cookie: Uint8Array = new Uint8Array(0);
  private helloVerifyRequests = 0;
  private hint: Uint8Array | null = null;
  private readonly resume: ResumableSession | null;

  /**
   * `cid`: the CID we offer, which the server is to put in its records to us; an empty one asks for none (the server's own
   * CID is what lets it find us after a NAT rebinding). Null offers no connection_id at all.
   */
  constructor(
    conn: Connection,
    private readonly suites: readonly number[],
    private readonly credentials: (hint: Uint8Array | null) => PskCredentials | null,
    resume: ResumableSession | null,
    private readonly cid: Uint8Array | null = null,
    private readonly requireExtendedMasterSecret = false,
  ) {
    super(conn, true);
    this.state = 'wait_server_hello';
    this.clientRandom = conn.host.random.bytes(RANDOM_LENGTH);
    // Copied: the cache may drop (and wipe) its entry while this handshake runs.
    this.resume = resume ? { ...resume, masterSecret: resume.masterSecret.slice() } : null;
    conn.offeredResumption = resume !== null;
  }

  start(): void {
    this.sendClientHello();
  }

  private sendClientHello(): void {
    const extensions: Extension[] = [
      { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
      { type: ExtensionType.renegotiation_info, data: Uint8Array.of(0) },
    ];
    if (this.cid !== null) extensions.push({ type: ExtensionType.connection_id, data: encodeConnectionIdExtension(this.cid) });
    const body = encodeClientHello({
      clientVersion: DTLS_1_2,
      random: this.clientRandom,
      sessionId: this.resume?.sessionId ?? new Uint8Array(0),
      cookie: this.cookie,
      cipherSuites: [...this.suites],
      compressionMethods: Uint8Array.of(0),
      extensions,
    });
    this.conn.beginFlight();
    this.conn.queueHandshake(HandshakeType.client_hello, body);
    this.conn.sendFlight(true);
  }

  protected dispatch(m: HandshakeMessage): void {
    if (this.state === 'wait_server_hello') {
      if (m.msgType === HandshakeType.hello_verify_request) return this.onHelloVerifyRequest(m);
      if (m.msgType === HandshakeType.server_hello) return this.onServerHello(m);
    } else if (this.state === 'wait_server_hello_done') {
      if (m.msgType === HandshakeType.server_key_exchange && this.hint === null) {
        this.conn.transcribe(m);
        this.hint = decodePskVector(m.body).slice();
        return;
      }
      if (m.msgType === HandshakeType.server_hello_done) return this.onServerHelloDone(m);
    }
    this.conn.fail(AlertDescription.unexpected_message);
  }

  /** RFC 6347 §4.2.1: send the ClientHello again with the cookie; neither hello nor the request enter the transcript. */
  private onHelloVerifyRequest(m: HandshakeMessage): void {
    const hvr = decodeHelloVerifyRequest(m.body);
    if (++this.helloVerifyRequests > MAX_HELLO_VERIFY_REQUESTS) {
      this.conn.fail(AlertDescription.unexpected_message);
      return;
    }
    this.cookie = hvr.cookie.slice();
    this.conn.transcript = [];
    this.sendClientHello();
  }

  private onServerHello(m: HandshakeMessage): void {
    const sh = decodeServerHello(m.body);
    this.conn.transcribe(m);
    if (sh.serverVersion !== DTLS_1_2) {
      this.conn.fail(AlertDescription.protocol_version);
      return;
    }
    const suite = suiteById(sh.cipherSuite);
    if (!suite || !this.suites.includes(sh.cipherSuite) || sh.compressionMethod !== 0) {
      this.conn.fail(AlertDescription.illegal_parameter);
      return;
    }
    const reneg = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    if (reneg && !(reneg.data.length === 1 && reneg.data[0] === 0)) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    for (const e of sh.extensions) {
      // A server may only answer extensions we offered (RFC 5246 §7.4.1.4).
      if (
        e.type !== ExtensionType.extended_master_secret &&
        e.type !== ExtensionType.renegotiation_info &&
        !(e.type === ExtensionType.connection_id && this.cid !== null)
      ) {
        this.conn.fail(AlertDescription.unsupported_extension);
        return;
      }
    }
    // RFC 9146 §3: its answer is the CID we put in our records; without one, both directions stay in the RFC 6347 format.
    const cid = findExtension(sh.extensions, ExtensionType.connection_id);
    if (cid) {
      const theirs = decodeConnectionIdExtension(cid.data);
      // A CID that leaves our Finished no room in a datagram: we cannot take it.
      if (theirs.length > maxCidLengthFor(this.conn.host.mtu)) {
        this.conn.host.stats.cidTooLong++;
        this.conn.fail(AlertDescription.illegal_parameter);
        return;
      }
      this.conn.useConnectionIds(this.cid!, theirs);
    }
    this.suite = suite;
    this.serverRandom = sh.random.slice();
    this.sessionId = sh.sessionId.slice();
    this.extendedMaster = findExtension(sh.extensions, ExtensionType.extended_master_secret) !== undefined;
    // RFC 7627 §5.2: a client that requires it aborts with handshake_failure when the server does not use it.
    if (!this.extendedMaster && this.requireExtendedMasterSecret) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    const r = this.resume;
    if (r && r.sessionId.length > 0 && bytesEqual(sh.sessionId, r.sessionId)) {
      // Resumption: same suite, and the extended master secret as the session had it (RFC 7627 §5.3).
      if (sh.cipherSuite !== r.cipherSuite || this.extendedMaster !== r.extendedMasterSecret) {
        this.conn.fail(AlertDescription.handshake_failure);
        return;
      }
      this.resumed = true;
      this.master = r.masterSecret;
      this.identity = r.identity;
      this.pskCheck = r.pskCheck;
      this.createdAt = r.createdAt;
      this.installKeys();
      this.state = 'wait_change_cipher_spec';
      return;
    }
    this.state = 'wait_server_hello_done';
  }

  private onServerHelloDone(m: HandshakeMessage): void {
    decodeEmpty(m.body);
    this.conn.transcribe(m);
    const creds = this.credentials(this.hint);
    if (!creds) {
      this.conn.fail(AlertDescription.handshake_failure);
      return;
    }
    this.identity = creds.identity.slice();
    this.conn.beginFlight();
    this.conn.queueHandshake(HandshakeType.client_key_exchange, encodePskVector(this.identity));
    this.deriveMasterSecret(creds.key);
    this.installKeys();
    this.queueFinished();
    this.conn.sendFlight(true);
    this.state = 'wait_change_cipher_spec';
  }
}

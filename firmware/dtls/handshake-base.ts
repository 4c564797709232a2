// What the client and server handshakes share: the ChangeCipherSpec and
// Finished exchange that ends both the full and the abbreviated handshake
// (RFC 5246 §7.4.9, RFC 6347 §4.2.6), deriving the master secret from the
// PSK (RFC 4279 §2, RFC 7627 §4) and the keys from it (RFC 5246 §6.3), and
// turning a malformed message into a decode_error alert.
import type { HandshakeMessage } from './reassembly';
import type { Connection, HandshakeRole } from './connection';
import type { SuiteDefinition } from './cipher-suite';
import { AlertDescription, HandshakeType } from './constants';
import { DecodeError, constantTimeEqual } from './bytes';
import { decodeFinished } from './handshake-messages';
import { extendedMasterSecret, keyBlock, masterSecret, pskPremasterSecret, verifyData } from './prf';
import { pskFingerprint } from './session-cache';

export abstract class HandshakeBase implements HandshakeRole {
  protected state = 'start';
  protected clientRandom: Uint8Array = new Uint8Array(0);
  protected serverRandom: Uint8Array = new Uint8Array(0);
  protected suite: SuiteDefinition | null = null;
  protected master: Uint8Array | null = null;
  protected sessionId: Uint8Array = new Uint8Array(0);
  protected extendedMaster = false;
  protected resumed = false;
  protected identity: Uint8Array = new Uint8Array(0);
  /** The PSK's fingerprint and when the session was made (a resumption carries both over from the cached session). */
  protected pskCheck: Uint8Array = new Uint8Array(0);
  protected createdAt = 0;

  constructor(
    protected readonly conn: Connection,
    private readonly isClient: boolean,
  ) {}

  get awaitingChangeCipherSpec(): boolean {
    return this.state === 'wait_change_cipher_spec';
  }
  get awaitingFinished(): boolean {
    return this.state === 'wait_finished';
  }

  handle(m: HandshakeMessage): void {
    try {
      if (this.state === 'wait_finished' && m.msgType === HandshakeType.finished) this.onFinished(m);
      else this.dispatch(m);
    } catch (e) {
      if (e instanceof DecodeError) this.conn.fail(AlertDescription.decode_error);
      else throw e;
    }
  }

  /** The role's own messages; anything it does not expect ends the handshake with unexpected_message. */
  protected abstract dispatch(m: HandshakeMessage): void;

  changeCipherSpec(): boolean {
    if (this.state !== 'wait_change_cipher_spec') return false;
    this.conn.activateRead();
    this.state = 'wait_finished';
    return true;
  }

  /** Master secret from the PSK: over the session hash with the extended master secret (the transcript up to ClientKeyExchange), else over the randoms. */
  protected deriveMasterSecret(psk: Uint8Array): void {
    const crypto = this.conn.host.crypto;
    const premaster = pskPremasterSecret(psk);
    this.pskCheck = pskFingerprint(crypto, psk);
    this.createdAt = this.conn.host.timers.now();
    this.master = this.extendedMaster
      ? extendedMasterSecret(crypto, premaster, this.conn.transcriptHash())
      : masterSecret(crypto, premaster, this.clientRandom, this.serverRandom);
    premaster.fill(0);
  }

  protected installKeys(): void {
    const suite = this.suite!;
    this.conn.setPendingKeys(
      suite,
      keyBlock(this.conn.host.crypto, this.master!, this.clientRandom, this.serverRandom, suite.keyBlockLength),
    );
  }

  protected queueFinished(): void {
    this.conn.queueChangeCipherSpec();
    this.conn.queueHandshake(
      HandshakeType.finished,
      verifyData(this.conn.host.crypto, this.master!, this.isClient, this.conn.transcriptHash()),
    );
  }

  /** The peer's Finished: verified, then our own if ours is the last flight (client when resuming, server otherwise), then established. */
  private onFinished(m: HandshakeMessage): void {
    const expected = verifyData(this.conn.host.crypto, this.master!, !this.isClient, this.conn.transcriptHash());
    if (!constantTimeEqual(expected, decodeFinished(m.body))) {
      this.conn.fail(AlertDescription.decrypt_error);
      return;
    }
    this.conn.transcribe(m);
    if (this.isClient === this.resumed) {
      // Ours is the last flight: resent only when the peer repeats its own (RFC 6347 §4.2.4). A client (resuming) has
      // verified the server's Finished: what it queued goes along in the same datagrams.
      this.conn.beginFlight();
      this.queueFinished();
      this.conn.sendFlight(false, this.isClient);
    }
    const suite = this.suite!;
    this.conn.establish({
      identity: this.identity,
      cipherSuite: suite.id,
      resumed: this.resumed,
      session:
        this.sessionId.length > 0
          ? {
              sessionId: this.sessionId,
              masterSecret: this.master!,
              cipherSuite: suite.id,
              extendedMasterSecret: this.extendedMaster,
              identity: this.identity,
              pskCheck: this.pskCheck,
              createdAt: this.createdAt,
            }
          : null,
    });
  }
}

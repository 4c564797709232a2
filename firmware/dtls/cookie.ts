// Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): the server keeps
// nothing for a ClientHello until it echoes a cookie the server made, so a
// spoofed source address costs the server one HMAC and one small datagram.
// Cookie = HMAC-SHA256(secret, client address and port, the ClientHello
// fields that must not change between the two hellos), truncated.
// §4.2.1 asks for the secret to change often: a cookie seen on the path then
// stops opening handshakes. The previous secret is still accepted, so a
// client caught by a change in the middle of its two hellos is not refused.
import type { DtlsCrypto } from './crypto';
import type { Random, Timers } from '../platform/ports';
import type { ClientHello } from './handshake-messages';
import { Writer, constantTimeEqual } from './bytes';
import { utf8Encode } from '../util/utf8';

/** Cookie length in bytes; 16 bytes of HMAC are beyond guessing and keep HelloVerifyRequest small. */
export const COOKIE_LENGTH = 16;
/** How long a secret makes cookies; a cookie stays good for one to two such periods. */
export const DEFAULT_COOKIE_SECRET_LIFETIME_MS = 300_000;
const SECRET_LENGTH = 32;

export class CookieJar {
  private secret: Uint8Array;
  private previous: Uint8Array | null = null;
  private since: number;

  constructor(
    private readonly crypto: DtlsCrypto,
    private readonly random: Random,
    private readonly timers: Pick<Timers, 'now'>,
    private readonly lifetimeMs = DEFAULT_COOKIE_SECRET_LIFETIME_MS,
  ) {
    this.secret = random.bytes(SECRET_LENGTH);
    this.since = timers.now();
  }

  make(address: string, port: number, ch: ClientHello): Uint8Array {
    this.rotate();
    return this.mac(this.secret, address, port, ch);
  }

  verify(address: string, port: number, ch: ClientHello): boolean {
    if (ch.cookie.length !== COOKIE_LENGTH) return false;
    this.rotate();
    if (constantTimeEqual(ch.cookie, this.mac(this.secret, address, port, ch))) return true;
    return this.previous !== null && constantTimeEqual(ch.cookie, this.mac(this.previous, address, port, ch));
  }

  /** Lazily, on use: no timer to keep. After two idle periods neither old secret survives. */
  private rotate(): void {
    const now = this.timers.now();
    const age = now - this.since;
    if (age < this.lifetimeMs) return;
    this.previous = age < 2 * this.lifetimeMs ? this.secret : null;
    this.secret = this.random.bytes(SECRET_LENGTH);
    this.since = now;
  }

  private mac(secret: Uint8Array, address: string, port: number, ch: ClientHello): Uint8Array {
    const w = new Writer(96).vector(1, utf8Encode(address)).u16(port).u16(ch.clientVersion).bytes(ch.random).vector(1, ch.sessionId);
    w.u16(ch.cipherSuites.length);
    for (const s of ch.cipherSuites) w.u16(s);
    w.vector(1, ch.compressionMethods);
    return this.crypto.hmacSha256(secret, w.finish()).slice(0, COOKIE_LENGTH);
  }
}

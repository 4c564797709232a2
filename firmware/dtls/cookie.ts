// Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): the server keeps
// nothing for a ClientHello until it echoes a cookie the server made, so a
// spoofed source address costs the server one HMAC and one small datagram.
// Cookie = HMAC-SHA256(secret, client address and port, the ClientHello
// fields that must not change between the two hellos), truncated.
import type { DtlsCrypto } from './crypto';
import type { Random } from '../platform/ports';
import type { ClientHello } from './handshake-messages';
import { Writer, constantTimeEqual } from './bytes';
import { utf8Encode } from '../util/utf8';

/** Cookie length in bytes; 16 bytes of HMAC are beyond guessing and keep HelloVerifyRequest small. */
export const COOKIE_LENGTH = 16;

export class CookieJar {
  private readonly secret: Uint8Array;

  constructor(private readonly crypto: DtlsCrypto, random: Random) {
    this.secret = random.bytes(32);
  }

  make(address: string, port: number, ch: ClientHello): Uint8Array {
    const w = new Writer(96).vector(1, utf8Encode(address)).u16(port).u16(ch.clientVersion).bytes(ch.random)
      .vector(1, ch.sessionId);
    w.u16(ch.cipherSuites.length);
    for (const s of ch.cipherSuites) w.u16(s);
    w.vector(1, ch.compressionMethods);
    return this.crypto.hmacSha256(this.secret, w.finish()).slice(0, COOKIE_LENGTH);
  }

  verify(address: string, port: number, ch: ClientHello): boolean {
    return ch.cookie.length === COOKIE_LENGTH && constantTimeEqual(ch.cookie, this.make(address, port, ch));
  }
}

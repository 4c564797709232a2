// Handshake messages of a PSK handshake in DTLS 1.2: the DTLS handshake
// header (RFC 6347 §4.2.2), ClientHello with its cookie and
// HelloVerifyRequest (§4.2.1), ServerHello, ServerKeyExchange and
// ClientKeyExchange for PSK (RFC 4279 §2), ServerHelloDone, Finished
// (RFC 5246 §7.4). decode* throw DecodeError on anything malformed; the
// handshake layer turns that into a decode_error alert.
import { DTLS_1_2, HANDSHAKE_HEADER_LENGTH, MAX_SESSION_ID_LENGTH, RANDOM_LENGTH, VERIFY_DATA_LENGTH } from './constants';
import { DecodeError, Reader, Writer } from './bytes';

export interface HandshakeFragment {
  msgType: number;
  /** Length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  /** The fragment's bytes (a view); fragment_length is its length. */
  fragment: Uint8Array;
}

/** Every handshake fragment in a record's plaintext (a record may carry several, RFC 6347 §4.2.3). */
export function parseHandshakeFragments(plaintext: Uint8Array): HandshakeFragment[] {
  const r = new Reader(plaintext);
  const out: HandshakeFragment[] = [];
  while (r.remaining > 0) {
    const msgType = r.u8();
    const length = r.u24();
    const messageSeq = r.u16();
    const fragmentOffset = r.u24();
    const fragmentLength = r.u24();
    if (fragmentOffset + fragmentLength > length) throw new DecodeError('fragment beyond message');
    out.push({ msgType, length, messageSeq, fragmentOffset, fragment: r.bytes(fragmentLength) });
  }
  return out;
}

/** Header + fragment of `body[offset, offset+count)`. With the whole body, this is also the form hashed into the transcript (§4.2.6). */
export function encodeHandshakeFragment(
  msgType: number,
  messageSeq: number,
  body: Uint8Array,
  offset = 0,
  count = body.length,
): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + count);
  out[0] = msgType;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out[4] = messageSeq >>> 8;
  out[5] = messageSeq & 0xff;
  out[6] = offset >>> 16;
  out[7] = (offset >>> 8) & 0xff;
  out[8] = offset & 0xff;
  out[9] = count >>> 16;
  out[10] = (count >>> 8) & 0xff;
  out[11] = count & 0xff;
  out.set(body.subarray(offset, offset + count), HANDSHAKE_HEADER_LENGTH);
  return out;
}

export interface Extension {
  type: number;
  data: Uint8Array;
}

/**
 * Most extensions a hello may carry. A ClientHello is decoded before its cookie is checked, so this bounds what a
 * stranger's datagram costs; real DTLS clients send about a dozen (OpenSSL, GnuTLS, mbedTLS).
 */
export const MAX_EXTENSIONS = 32;

function readExtensions(r: Reader): Extension[] {
  // Absent extensions block: allowed (RFC 5246 §7.4.1.2).
  if (r.remaining === 0) return [];
  const block = new Reader(r.vector(2, 0, 0xffff));
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    if (out.length === MAX_EXTENSIONS) throw new DecodeError('too many extensions');
    const type = block.u16();
    const data = block.vector(2, 0, 0xffff);
    // "There MUST NOT be more than one extension of the same type" (RFC 5246 §7.4.1.4).
    if (seen.has(type)) throw new DecodeError('duplicate extension');
    seen.add(type);
    out.push({ type, data });
  }
  r.done();
  return out;
}

function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  if (exts.length === 0) return;
  const inner = new Writer();
  for (const e of exts) inner.u16(e.type).vector(2, e.data);
  w.vector(2, inner.finish());
}

export function findExtension(exts: readonly Extension[], type: number): Extension | undefined {
  for (const e of exts) if (e.type === type) return e;
  return undefined;
}

export interface ClientHello {
  clientVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: Extension[];
}

export function encodeClientHello(m: ClientHello): Uint8Array {
  const w = new Writer(128).u16(m.clientVersion).bytes(m.random).vector(1, m.sessionId).vector(1, m.cookie);
  w.u16(m.cipherSuites.length * 2);
  for (const s of m.cipherSuites) w.u16(s);
  w.vector(1, m.compressionMethods);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body);
  const clientVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const sessionId = r.vector(1, 0, MAX_SESSION_ID_LENGTH);
  const cookie = r.vector(1, 0, 255);
  const suites = r.vector(2, 2, 0xfffe);
  if (suites.length % 2) throw new DecodeError('odd cipher_suites length');
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i] << 8) | suites[i + 1]);
  const compressionMethods = r.vector(1, 1, 255);
  const extensions = readExtensions(r);
  return { clientVersion, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
}

export interface ServerHello {
  serverVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

export function encodeServerHello(m: ServerHello): Uint8Array {
  const w = new Writer(96).u16(m.serverVersion).bytes(m.random).vector(1, m.sessionId).u16(m.cipherSuite).u8(m.compressionMethod);
  writeExtensions(w, m.extensions);
  return w.finish();
}

export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const serverVersion = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const sessionId = r.vector(1, 0, MAX_SESSION_ID_LENGTH);
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions = readExtensions(r);
  return { serverVersion, random, sessionId, cipherSuite, compressionMethod, extensions };
}

/** HelloVerifyRequest: server_version, cookie<0..2^8-1> (RFC 6347 §4.2.1). */
export function encodeHelloVerifyRequest(serverVersion: number, cookie: Uint8Array): Uint8Array {
  return new Writer(3 + cookie.length).u16(serverVersion).vector(1, cookie).finish();
}

export function decodeHelloVerifyRequest(body: Uint8Array): { serverVersion: number; cookie: Uint8Array } {
  const r = new Reader(body);
  const serverVersion = r.u16();
  const cookie = r.vector(1, 0, 255);
  r.done();
  return { serverVersion, cookie };
}

/** ServerKeyExchange.psk_identity_hint and ClientKeyExchange.psk_identity: opaque<0..2^16-1> (RFC 4279 §2). */
export function encodePskVector(v: Uint8Array): Uint8Array {
  return new Writer(2 + v.length).vector(2, v).finish();
}

export function decodePskVector(body: Uint8Array): Uint8Array {
  const r = new Reader(body);
  const v = r.vector(2, 0, 0xffff);
  r.done();
  return v;
}

export function decodeFinished(body: Uint8Array): Uint8Array {
  if (body.length !== VERIFY_DATA_LENGTH) throw new DecodeError('verify_data length');
  return body;
}

export function decodeEmpty(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError('ServerHelloDone with a body');
}

/** A ClientHello's version must be DTLS 1.2 or higher-numbered-lower (DTLS versions count down, RFC 6347 §4.1). */
export function offersDtls12(clientVersion: number): boolean {
  return clientVersion <= DTLS_1_2;
}

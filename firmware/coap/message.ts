// CoAP message format (RFC 7252 §3): header, token, options, payload marker.
// Encoding and decoding only; semantics (dedup, retransmission, block-wise)
// live in the layers above. decodeMessage never throws: a malformed datagram
// comes back as a value with whatever the header let us recover, so the
// message layer can answer RST (CON) or drop it (NON/ACK) per RFC 7252 §4.2.

export const Type = Object.freeze({ CON: 0, NON: 1, ACK: 2, RST: 3 } as const);

export const Code = Object.freeze({
  EMPTY: 0,
  GET: 1,
  POST: 2,
  PUT: 3,
  DELETE: 4,
  FETCH: 5,
  PATCH: 6,
  IPATCH: 7,
  CREATED: 65 /* 2.01 */,
  DELETED: 66,
  VALID: 67,
  CHANGED: 68,
  CONTENT: 69,
  CONTINUE: 95 /* 2.31 */,
  BAD_REQUEST: 128,
  UNAUTHORIZED: 129,
  BAD_OPTION: 130,
  FORBIDDEN: 131,
  NOT_FOUND: 132,
  METHOD_NOT_ALLOWED: 133,
  NOT_ACCEPTABLE: 134,
  REQUEST_ENTITY_INCOMPLETE: 136,
  PRECONDITION_FAILED: 140,
  REQUEST_ENTITY_TOO_LARGE: 141,
  UNSUPPORTED_CONTENT_FORMAT: 143,
  INTERNAL_SERVER_ERROR: 160,
  NOT_IMPLEMENTED: 161,
  BAD_GATEWAY: 162,
  SERVICE_UNAVAILABLE: 163,
  GATEWAY_TIMEOUT: 164,
  PROXYING_NOT_SUPPORTED: 165,
} as const);

export const OptionNumber = Object.freeze({
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  ACCEPT: 17,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
} as const);

export interface CoapOption {
  number: number;
  value: Uint8Array;
}

export interface CoapMessage {
  type: number;
  code: number;
  messageId: number;
  token: Uint8Array;
  /** Sorted by number; repeated options keep their order. */
  options: CoapOption[];
  payload: Uint8Array;
}

export type DecodeResult =
  | { ok: true; message: CoapMessage }
  | {
      ok: false;
      error: string;
      /** Present when the fixed header was readable and Version was 1: enough to send a RST. */
      type?: number;
      messageId?: number;
      code?: number;
      /** Present when the token itself was readable (TKL 0–8 and enough bytes). */
      token?: Uint8Array;
    };

/** The maximum token length (RFC 7252 §3: TKL 9–15 are reserved). */
export const MAX_TOKEN_LENGTH = 8;

const EMPTY: Uint8Array = new Uint8Array(0);

/** 69 -> "2.05". */
export function codeString(code: number): string {
  const detail = code & 31;
  return `${code >> 5}.${detail < 10 ? '0' : ''}${detail}`;
}

/** 1 -> "GET" (RFC 7252 §12.1.1, RFC 8132 for FETCH/PATCH/iPATCH). */
export function methodName(m: number): string {
  return ['EMPTY', 'GET', 'POST', 'PUT', 'DELETE', 'FETCH', 'PATCH', 'iPATCH'][m] ?? `method ${m}`;
}

export function isRequestCode(code: number): boolean {
  return code >= 1 && code < 32;
}
export function isResponseCode(code: number): boolean {
  return code >= 64 && code < 192;
}
export function isSuccessCode(code: number): boolean {
  return code >= 64 && code < 96;
}

function nibble(v: number): number {
  return v < 13 ? v : v < 269 ? 13 : 14;
}

function extLength(v: number): number {
  return v < 13 ? 0 : v < 269 ? 1 : 2;
}

/** Encoded size of `m` with `options` (sorted) in place of its own. */
function messageLength(m: CoapMessage, options: readonly CoapOption[]): number {
  let n = 4 + m.token.length;
  let prev = 0;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    const delta = o.number - prev;
    n += 1 + extLength(delta) + extLength(o.value.length) + o.value.length;
    prev = o.number;
  }
  if (m.payload.length > 0) n += 1 + m.payload.length;
  return n;
}

/**
 * Encode a message. Options must be sorted by number (stable for repeats);
 * the caller's array is sorted here if it is not, so a hand-built option list
 * cannot produce a negative delta. Throws only on programmer errors (token > 8
 * bytes, option number or value out of range), never on peer input.
 */
export function encodeMessage(m: CoapMessage): Uint8Array {
  if (m.token.length > MAX_TOKEN_LENGTH) throw new RangeError('token longer than 8 bytes');
  let options = m.options;
  for (let i = 1; i < options.length; i++) {
    if (options[i].number < options[i - 1].number) {
      options = sortOptions(options);
      break;
    }
  }
  const out = new Uint8Array(messageLength(m, options));
  out[0] = 0x40 | ((m.type & 3) << 4) | m.token.length;
  out[1] = m.code & 0xff;
  out[2] = (m.messageId >> 8) & 0xff;
  out[3] = m.messageId & 0xff;
  out.set(m.token, 4);
  let p = 4 + m.token.length;
  let prev = 0;
  for (const o of options) {
    const delta = o.number - prev;
    const len = o.value.length;
    if (delta < 0 || o.number > 65535 || len > 65535 + 269) throw new RangeError('option out of range');
    out[p++] = (nibble(delta) << 4) | nibble(len);
    p = writeExt(out, p, delta);
    p = writeExt(out, p, len);
    out.set(o.value, p);
    p += len;
    prev = o.number;
  }
  if (m.payload.length > 0) {
    out[p++] = 0xff;
    out.set(m.payload, p);
  }
  return out;
}

function writeExt(out: Uint8Array, p: number, v: number): number {
  if (v >= 269) {
    const x = v - 269;
    out[p++] = x >> 8;
    out[p++] = x & 0xff;
  } else if (v >= 13) out[p++] = v - 13;
  return p;
}

/** Stable sort by option number (repeats keep their relative order). */
export function sortOptions(options: CoapOption[]): CoapOption[] {
  return options
    .map((o, i) => ({ o, i }))
    .sort((a, b) => a.o.number - b.o.number || a.i - b.i)
    .map((x) => x.o);
}

/** A datagram that does not decode, with what of its header could be read (enough to send a RST). */
function malformed(error: string, type: number, messageId: number, code: number, token: Uint8Array | undefined): DecodeResult {
  return { ok: false, error, type, messageId, code, token };
}

/**
 * Decode one datagram. The returned token/option values/payload are views into
 * `bytes`; callers that keep them past the datagram's life should copy.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 4) return { ok: false, error: 'shorter than the 4-byte header' };
  const b0 = bytes[0];
  if (b0 >> 6 !== 1) return { ok: false, error: `unknown version ${b0 >> 6}` }; // §3: silently ignore
  const type = (b0 >> 4) & 3;
  const tkl = b0 & 15;
  const code = bytes[1];
  const messageId = (bytes[2] << 8) | bytes[3];
  if (tkl > MAX_TOKEN_LENGTH) return malformed(`reserved token length ${tkl}`, type, messageId, code, undefined);
  if (bytes.length < 4 + tkl) return malformed('truncated token', type, messageId, code, undefined);
  const token = bytes.subarray(4, 4 + tkl);
  const cls = code >> 5;
  if (cls === 1 || cls === 6 || cls === 7) return malformed(`reserved code class ${codeString(code)}`, type, messageId, code, token);
  if (code === Code.EMPTY) {
    // §4.1: an Empty message has TKL 0 and nothing after the header.
    if (tkl !== 0 || bytes.length !== 4) return malformed('Empty message with token, options or payload', type, messageId, code, token);
    if (type === Type.NON) return malformed('Empty Non-confirmable message', type, messageId, code, token); // §4.3
    return { ok: true, message: { type, code, messageId, token, options: [], payload: EMPTY } };
  }
  if (type === Type.RST) return malformed('Reset message that is not Empty', type, messageId, code, token); // §4.2
  if (type === Type.ACK && isRequestCode(code)) return malformed('Acknowledgement carrying a request', type, messageId, code, token);
  const options: CoapOption[] = [];
  let p = 4 + tkl;
  let number = 0;
  let payload: Uint8Array = EMPTY;
  while (p < bytes.length) {
    const h = bytes[p++];
    if (h === 0xff) {
      if (p === bytes.length) return malformed('payload marker followed by an empty payload', type, messageId, code, token);
      payload = bytes.subarray(p);
      break;
    }
    let delta = h >> 4;
    let len = h & 15;
    if (delta === 15) return malformed('option delta nibble 15', type, messageId, code, token);
    if (len === 15) return malformed('option length nibble 15', type, messageId, code, token);
    if (delta === 13) {
      if (p >= bytes.length) return malformed('truncated option delta', type, messageId, code, token);
      delta = bytes[p++] + 13;
    } else if (delta === 14) {
      if (p + 1 >= bytes.length) return malformed('truncated option delta', type, messageId, code, token);
      delta = ((bytes[p] << 8) | bytes[p + 1]) + 269;
      p += 2;
    }
    if (len === 13) {
      if (p >= bytes.length) return malformed('truncated option length', type, messageId, code, token);
      len = bytes[p++] + 13;
    } else if (len === 14) {
      if (p + 1 >= bytes.length) return malformed('truncated option length', type, messageId, code, token);
      len = ((bytes[p] << 8) | bytes[p + 1]) + 269;
      p += 2;
    }
    number += delta;
    if (number > 65535) return malformed('option number above 65535', type, messageId, code, token);
    if (p + len > bytes.length) return malformed('truncated option value', type, messageId, code, token);
    options.push({ number, value: bytes.subarray(p, p + len) });
    p += len;
  }
  return { ok: true, message: { type, code, messageId, token, options, payload } };
}

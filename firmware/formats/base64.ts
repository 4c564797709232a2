// Base64 (RFC 4648) without atob/btoa: text/plain Opaque (§7.4.1) and SenML vd (RFC 8428 base64url).
const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const REV = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  REV[STD.charCodeAt(i)] = i;
  REV[URL.charCodeAt(i)] = i;
}

export function base64Encode(b: Uint8Array, url = false): string {
  const a = url ? URL : STD;
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += a[n >> 18] + a[(n >> 12) & 63] + a[(n >> 6) & 63] + a[n & 63];
  }
  if (i < b.length) {
    const n = (b[i] << 16) | ((i + 1 < b.length ? b[i + 1] : 0) << 8);
    s += a[n >> 18] + a[(n >> 12) & 63];
    if (i + 1 < b.length) s += a[(n >> 6) & 63];
    if (!url) s += i + 1 < b.length ? '=' : '==';
  }
  return s;
}

/** Accepts the standard and URL-safe alphabets, with or without padding; undefined if malformed. */
export function base64Decode(s: string): Uint8Array | undefined {
  let end = s.length;
  if (end % 4 === 0 && end > 0 && s.charCodeAt(end - 1) === 61) end -= s.charCodeAt(end - 2) === 61 ? 2 : 1;
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array((end * 3) >> 2);
  let acc = 0,
    bits = 0,
    o = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? REV[c] : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

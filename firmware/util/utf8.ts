// UTF-8 without TextEncoder/TextDecoder: XS on the device only has them when
// a manifest pulls in the text modules, so the core carries its own.
// XS keeps strings as UTF-8, so s[i] / codePointAt(i) cost O(i) there and
// `s +=` copies: iterate with for-of and build strings in chunks to stay linear.

const CHUNK = 1024;

export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(utf8Length(s));
  let o = 0;
  for (const ch of s) {
    let c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate (3 bytes, as counted above)
    if (c < 0x80) out[o++] = c;
    else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    } else {
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 63);
      out[o++] = 0x80 | ((c >> 6) & 63);
      out[o++] = 0x80 | (c & 63);
    }
  }
  return out;
}

/** Strict decode: returns undefined for malformed UTF-8 so callers can answer 4.00. */
export function utf8DecodeStrict(b: Uint8Array, start = 0, end = b.length): string | undefined {
  const parts: string[] = [];
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const c = b[i++];
    let cp: number;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0) {
      if (i >= end || (b[i] & 0xc0) !== 0x80) return undefined;
      cp = ((c & 31) << 6) | (b[i++] & 63);
    } else if (c >= 0xe0 && c < 0xf0) {
      if (i + 1 >= end || (b[i] & 0xc0) !== 0x80 || (b[i + 1] & 0xc0) !== 0x80) return undefined;
      cp = ((c & 15) << 12) | ((b[i] & 63) << 6) | (b[i + 1] & 63);
      i += 2;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    } else if (c >= 0xf0 && c < 0xf5) {
      if (i + 2 >= end || (b[i] & 0xc0) !== 0x80 || (b[i + 1] & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return undefined;
      cp = ((c & 7) << 18) | ((b[i] & 63) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      i += 3;
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
    } else return undefined;
    if (cp < 0x10000) units.push(cp);
    else {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    }
    if (units.length >= CHUNK) {
      parts.push(String.fromCharCode(...units));
      units.length = 0;
    }
  }
  if (units.length) parts.push(String.fromCharCode(...units));
  return parts.length === 1 ? parts[0] : parts.join('');
}

/** Lenient decode for logs and diagnostics: malformed bytes become U+FFFD. */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  const strict = utf8DecodeStrict(b, start, end);
  if (strict !== undefined) return strict;
  const units: number[] = [];
  for (let i = start; i < end; i++) units.push(b[i] < 0x80 ? b[i] : 0xfffd);
  const parts: string[] = [];
  for (let i = 0; i < units.length; i += CHUNK) parts.push(String.fromCharCode(...units.slice(i, i + CHUNK)));
  return parts.join('');
}

/** Bytes of a string in UTF-8, without encoding it (lone surrogates count 3, as utf8Encode writes U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

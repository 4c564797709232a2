// UTF-8 without TextEncoder/TextDecoder: XS on the device only has them when
// a manifest pulls in the text modules, so the core carries its own.

export function utf8Encode(s: string): Uint8Array {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    if (c > 0xffff) i++;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.codePointAt(i)!;
    if (c > 0xffff) i++;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    if (c < 0x80) out[o++] = c;
    else if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63); }
    else { out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63); }
  }
  return o === n ? out : out.subarray(0, o);
}

/** Strict decode: returns undefined for malformed UTF-8 so callers can answer 4.00. */
export function utf8DecodeStrict(b: Uint8Array, start = 0, end = b.length): string | undefined {
  let s = '';
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
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** Lenient decode for logs and diagnostics: malformed bytes become U+FFFD. */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  const strict = utf8DecodeStrict(b, start, end);
  if (strict !== undefined) return strict;
  let s = '';
  for (let i = start; i < end; i++) s += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
  return s;
}

// Lower-case hex text of bytes and back: token keys in the CoAP layer, test
// vectors shared between V8 and XS. Plain ES2022 (no Buffer).

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/** Pairs of hex digits to bytes; a trailing odd digit is ignored. */
export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

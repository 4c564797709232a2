// Lower-case hex text of bytes and back: token keys in the CoAP layer, test
// vectors shared between engines. Plain ES2022 over Uint8Array.

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

/** Bytes of a whole hex string (an even, non-zero number of digits, an optional 0x), or undefined: for keys typed by people. */
export function parseHex(h: string): Uint8Array | undefined {
  const digits = h.startsWith('0x') || h.startsWith('0X') ? h.slice(2) : h;
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  return fromHex(digits);
}

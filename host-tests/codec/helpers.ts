// Shared by the codec/formats tests: both TLV backends, hex, and a seeded PRNG.
import { TlvTs } from '../../firmware/codec/tlv-ts';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import type { TlvBackend } from '../../firmware/codec/backend';

export const backends: Array<[string, () => TlvBackend]> = [
  ['pure TS', () => new TlvTs()],
  ['AssemblyScript wasm', () => loadTlvWasm()],
];

export const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
export const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** xorshift32: deterministic fuzzing. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  let b = src.slice();
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const r = rnd();
    const i = Math.floor(rnd() * Math.max(1, b.length));
    if (r < 0.4 && b.length) b[i] = Math.floor(rnd() * 256);
    else if (r < 0.55 && b.length) b[i] ^= 1 << Math.floor(rnd() * 8);
    else if (r < 0.7) b = b.slice(0, i);
    else if (r < 0.85) {
      const n = new Uint8Array(b.length + 1);
      n.set(b.subarray(0, i));
      n[i] = Math.floor(rnd() * 256);
      n.set(b.subarray(i), i + 1);
      b = n;
    } else {
      const j = Math.floor(rnd() * Math.max(1, b.length));
      const n = new Uint8Array(b.length + (j - 0));
      n.set(b);
      n.set(b.subarray(0, j), b.length);
      b = n;
    }
  }
  return b;
}

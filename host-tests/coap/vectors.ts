// Runs the same CoAP codec work in V8 and in XS and describes the results as
// plain JSON, so a test can compare both engines byte for byte.
// Plain ES2022: bundled into the XS script and also imported by Node tests.
import { decodeMessage, encodeMessage } from '../../firmware/coap/message';

import { fromHex, toHex } from '../../firmware/util/hex';

/** A deterministic body for block-wise transfers. */
export function bigBody(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

/** Decode, describe, and re-encode when it decoded. Never throws (a throw is itself reported). */
export function describeDecode(hex: string): unknown {
  try {
    const r = decodeMessage(fromHex(hex));
    if (!r.ok) {
      return { ok: false, error: r.error, type: r.type, messageId: r.messageId, code: r.code, token: r.token ? toHex(r.token) : undefined };
    }
    const m = r.message;
    return {
      ok: true,
      type: m.type,
      code: m.code,
      messageId: m.messageId,
      token: toHex(m.token),
      options: m.options.map((o) => [o.number, toHex(o.value)]),
      payload: toHex(m.payload),
      reencoded: toHex(encodeMessage(m)),
    };
  } catch (e) {
    return { threw: String(e) };
  }
}

/** Seeded mutations (mulberry32) of valid messages: the same inputs in both engines. */
export function mutations(seedHex: string[], count: number, seed: number): string[] {
  let a = seed >>> 0;
  const rnd = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const b = Array.from(fromHex(seedHex[i % seedHex.length]));
    const n = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < n; k++) {
      const op = rnd();
      const at = Math.floor(rnd() * (b.length + 1));
      if (op < 0.5 && b.length) b[at % b.length] = Math.floor(rnd() * 256);
      else if (op < 0.75) b.splice(at, 0, Math.floor(rnd() * 256));
      else b.length = Math.min(b.length, at);
    }
    out.push(toHex(Uint8Array.from(b)));
  }
  return out;
}

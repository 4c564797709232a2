// Replays a TLV codec call script (format: build/c-test/tlv_vectors.c) on raw
// codec exports. Plain ES2022 so it runs in XS over the wasm2js build.
import type { Wasm2jsTlvExports } from '../xs-harness/port/tlv';
import { ENTRY_WORDS, E_TYPE } from '../../firmware/codec/tlv-constants';
import { toHex } from '../../firmware/util/hex';

const ENTRY_BYTES = ENTRY_WORDS * 4;

/** Empty bytes are '-' in the script format. */
function hex(b: Uint8Array): string {
  return b.length === 0 ? '-' : toHex(b);
}

function unhexInto(s: string, dst: Uint8Array, at: number): number {
  if (s === '-') return 0;
  const n = s.length >> 1;
  for (let i = 0; i < n; i++) dst[at + i] = parseInt(s.substr(i * 2, 2), 16);
  return n;
}

/** Output lines as tlv_vectors prints them; the V8 reference (host-tests/native/tlv-script) uses this too. */
export function replay(x: Wasm2jsTlvExports, script: string[]): string[] {
  const mem = new Uint8Array(x.memory.buffer);
  const dv = new DataView(x.memory.buffer);
  const table = x.tablePtr();
  const out: string[] = [];
  const decoded = (ret: number) => `D ${ret} ${x.errorIndex()} ${hex(mem.subarray(table, table + (ret > 0 ? ret * ENTRY_BYTES : 0)))}`;
  for (const line of script) {
    const f = line.split(' ');
    if (f[0] === 'D') {
      const len = unhexInto(f[2], mem, x.inPtr());
      out.push(decoded(x.decode(len, Number(f[1]))));
    } else if (f[0] === 'N') {
      // Decode whatever the input region holds, claiming a length (bounds checks).
      out.push(decoded(x.decode(Number(f[2]), Number(f[1]))));
    } else if (f[0] === 'V') {
      const count = Number(f[1]);
      const shown = Math.min(count, x.maxEntries());
      if (f[2] !== '-')
        f[2]
          .split(',')
          .slice(0, shown)
          .forEach((t, i) => dv.setInt32(table + i * ENTRY_BYTES + E_TYPE * 4, Number(t), true));
      const ret = x.decodeValues(count);
      out.push(`V ${ret} ${x.errorIndex()} ${hex(mem.subarray(table, table + shown * ENTRY_BYTES))}`);
    } else if (f[0] === 'E') {
      unhexInto(f[2], mem, table);
      unhexInto(f[3], mem, x.inPtr());
      const ret = x.encode(Number(f[1]), x.maxPayload());
      const end = x.outPtr() + x.maxPayload();
      out.push(`E ${ret} ${hex(mem.subarray(end - Math.max(ret, 0), end))}`);
    } else {
      throw new Error(`bad script line ${line.slice(0, 20)}`);
    }
  }
  return out;
}

// The TLV codec as native C for the device: the wasm2c output, our static
// runtime and the XS binding compile warning-free (-Wall -Wextra -Werror) for
// the host and for 32-bit Xtensa, and the host build of the C gives the same
// bytes as the wasm in V8 for the Core spec examples, round trips of every
// data type and thousands of seeded mutations.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildAllNative, formatSizes, type SizeRow } from '../../build/c-test/native-checks';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { getTlvBackend, setTlvBackend } from '../../firmware/codec/backend';
import { ContentFormat, decodePayload, encodePayload, defaultResolver } from '../../firmware/formats';
import type { ResourceRecord, TypeResolver } from '../../firmware/formats';
import type { DataType, Path, Value } from '../../firmware/model';
import { recordingBackend, replayInWasm } from './tlv-script';

const TLV = ContentFormat.TLV;
// LwM2M Core spec §7.4.3 examples (Device object /3/0; Access Control and Server instances).
const DEVICE = 'C800144F70656E204D6F62696C6520416C6C69616E6365C801164C69676874776569676874204D324D20436C69656E74C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964C10A0F830B410000C40D5182428FC60E2B30323A3030C11055';
const DEVICE_WITH_INSTANCE = '080079' + DEVICE;
const ACL = '08000EC10001C101008302417F07C1037F080212C10003C101008702417F0761013601C1037F';
const SERVER = '08000FC10001C40100015180C10601C10755';

const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const path = (...ids: Array<number | undefined>): Path => ({ objectId: ids[0], instanceId: ids[1], resourceId: ids[2], resourceInstanceId: ids[3] });
const base = (...ids: number[]): Path => Object.fromEntries(Object.entries(path(...ids)).filter(([, v]) => v !== undefined)) as Path;

const TYPES: DataType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'];
const resolver: TypeResolver = (o, r) => (o === 9999 && r < TYPES.length ? { type: TYPES[r], multiple: false }
  : o === 9999 && r >= 100 && r < 100 + TYPES.length ? { type: TYPES[r - 100], multiple: true } : defaultResolver(o, r));

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

/** The codec calls the formats layer makes for the spec examples, round trips and fuzzing. */
function makeScript(): string[] {
  const script: string[] = [];
  const previous = getTlvBackend();
  setTlvBackend(recordingBackend(loadTlvWasm(), script));
  try {
    for (const [payload, at] of [[DEVICE, base(3, 0)], [DEVICE_WITH_INSTANCE, base(3)], [ACL, base(2)], [SERVER, base(1)]] as const) {
      const d = decodePayload(TLV, unhex(payload), at, defaultResolver);
      assert.ok(d.ok, `spec example decodes at ${JSON.stringify(at)}`);
      const e = encodePayload(TLV, at, d.value.records, defaultResolver);
      assert.ok(e.ok);
      assert.equal(Buffer.from(e.value).toString('hex').toUpperCase(), payload, 'spec example re-encodes byte for byte');
    }
    const rec = (r: number, value: Value, ri?: number): ResourceRecord => ({ path: path(9999, 0, r, ri), value });
    const limits: ResourceRecord[][] = [
      [rec(0, ''), rec(0, 'x'.repeat(300)), rec(0, 'ü€😀')],
      [rec(1, 0), rec(1, -1), rec(1, 127), rec(1, -129), rec(1, 32767), rec(1, -2147483648), rec(1, 2 ** 40),
        rec(1, -(2n ** 63n)), rec(1, 2n ** 63n - 1n)],
      [rec(2, 0), rec(2, 255), rec(2, 4294967295), rec(2, 2n ** 64n - 1n)],
      [rec(3, 0.5), rec(3, -1.25e-3), rec(3, 3.4e38), rec(3, 1e300), rec(3, Number.MIN_VALUE)],
      [rec(4, true), rec(4, false)],
      [rec(5, new Uint8Array(0)), rec(5, new Uint8Array(5000).fill(0xa5))],
      [rec(6, 1367491215), rec(7, { objectId: 65534, instanceId: 0 }), rec(8, '</3/0>;ver=1.1'), rec(9, null)],
      [rec(100, 'a', 0), rec(100, 'b', 65534), rec(101, -5, 7), rec(103, 1.5, 1)],
    ];
    for (const records of limits) {
      const e = encodePayload(TLV, base(9999, 0), records, resolver);
      assert.ok(e.ok, JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
      assert.ok(decodePayload(TLV, e.value, base(9999, 0), resolver).ok);
    }
    // Seeded mutations: decode through formats (structure + values) at the depths the spec allows.
    const rnd = prng(0x7c0d);
    const seeds: Array<[string, Path]> = [[DEVICE, base(3, 0)], [DEVICE_WITH_INSTANCE, base(3)], [ACL, base(2)], [SERVER, base(1)]];
    for (let i = 0; i < 2000; i++) {
      const [s, at] = seeds[i % seeds.length];
      const b = Array.from(unhex(s));
      for (let k = 0, n = 1 + Math.floor(rnd() * 3); k < n; k++) {
        const j = Math.floor(rnd() * b.length);
        const r = rnd();
        if (r < 0.6) b[j] = Math.floor(rnd() * 256);
        else if (r < 0.8) b.splice(j, 1);
        else b.length = j;
      }
      decodePayload(TLV, Uint8Array.from(b), at, defaultResolver);
    }
  } finally {
    setTlvBackend(previous);
  }
  return script;
}

describe('native TLV (wasm2c C for the device)', function () {
  this.timeout(120000);
  let built: { vectors: string; sizes: SizeRow[]; wasm2cVersion: string };

  before(() => {
    // Throws with an install hint (wabt, gcc-xtensa-lx106, picolibc-xtensa-lx106-elf) when a tool is missing.
    built = buildAllNative();
  });

  it('compiles tlv.c, the static runtime and the XS binding with -Wall -Wextra -Werror for the host and Xtensa', () => {
    const units = (t: string) => built.sizes.filter((r) => r.target === t).map((r) => r.unit);
    assert.deepEqual(units('host'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    assert.deepEqual(units('xtensa-lx106'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    for (const r of built.sizes) assert.ok(r.text > 0, `${r.target} ${r.unit} has code`);
    console.log(`      wasm2c ${built.wasm2cVersion}\n${formatSizes(built.sizes).replace(/^/gm, '      ')}`);
  });

  it('gives byte-identical results to the wasm in V8 (spec examples, type limits, 2000 mutations)', () => {
    const script = makeScript();
    assert.ok(script.length > 2000, `script has ${script.length} calls`);
    const expected = replayInWasm(script);
    const r = spawnSync(built.vectors, [], { input: script.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trimEnd().split('\n');
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== expected[i]) assert.fail(`call ${i} (${script[i].slice(0, 60)}…): C ${got[i].slice(0, 80)} != wasm ${expected[i].slice(0, 80)}`);
    }
    assert.ok(expected.some((l) => l.startsWith('D -')), 'some mutations were rejected');
    assert.ok(expected.some((l) => l.startsWith('E ') && !l.startsWith('E -')), 'some encodes succeeded');
    assert.ok(!got.some((l) => l.startsWith('T ')), 'no trap in C');
  });
});

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { TlvBackend } from '../../firmware/codec/backend';
import * as K from '../../firmware/codec/tlv-constants';
import { TlvTs, TLV_MAX_PAYLOAD, TLV_MAX_ENTRIES } from '../../firmware/codec/tlv-ts';
import { builtinResolver as defaultResolver, ContentFormat } from '../../firmware/formats/index';
import { formatErrorCode } from '../../firmware/lwm2m/engine/refusal';
import { formatsOn } from '../support/formats';
import type { ResourceRecord, TypeResolver } from '../../firmware/formats/index';
import type { DataType, Path, Value } from '../../firmware/model/index';
import { backends, hex, toHex, prng, mutate } from './helpers';

const TLV = ContentFormat.TLV;
/** The formats instance the cases run on: each describe makes its own over its backend. */
let formats = formatsOn();
// Core spec TLV examples (1.0 §6.4.3 / 1.1 §7.4.3): Device /3/0 as resources, as one object instance,
// two Access Control instances (16-bit resource-instance id 310), one Server instance.
const DEVICE =
  'C800144F70656E204D6F62696C6520416C6C69616E6365C801164C69676874776569676874204D324D20436C69656E74C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964C10A0F830B410000C40D5182428FC60E2B30323A3030C11055';
const DEVICE_WITH_INSTANCE = '080079' + DEVICE;
const ACL = '08000EC10001C101008302417F07C1037F080212C10003C101008702417F0761013601C1037F';
const SERVER = '08000FC10001C40100015180C10601C10755';

const p = (o: number, i: number, r: number, ri?: number): Path =>
  ri === undefined ? { objectId: o, instanceId: i, resourceId: r } : { objectId: o, instanceId: i, resourceId: r, resourceInstanceId: ri };
const js = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
const rec = (o: number, i: number, r: number, ri: number | undefined, value: Value): ResourceRecord => ({ path: p(o, i, r, ri), value });

function deviceRecords(): ResourceRecord[] {
  return [
    rec(3, 0, 0, undefined, 'Open Mobile Alliance'),
    rec(3, 0, 1, undefined, 'Lightweight M2M Client'),
    rec(3, 0, 2, undefined, '345000123'),
    rec(3, 0, 3, undefined, '1.0'),
    rec(3, 0, 6, 0, 1),
    rec(3, 0, 6, 1, 5),
    rec(3, 0, 7, 0, 3800),
    rec(3, 0, 7, 1, 5000),
    rec(3, 0, 8, 0, 125),
    rec(3, 0, 8, 1, 900),
    rec(3, 0, 9, undefined, 100),
    rec(3, 0, 10, undefined, 15),
    rec(3, 0, 11, 0, 0),
    rec(3, 0, 13, undefined, 1367491215),
    rec(3, 0, 14, undefined, '+02:00'),
    rec(3, 0, 16, undefined, 'U'),
  ];
}
const aclRecords = (): ResourceRecord[] => [
  rec(2, 0, 0, undefined, 1),
  rec(2, 0, 1, undefined, 0),
  rec(2, 0, 2, 127, 7),
  rec(2, 0, 3, undefined, 127),
  rec(2, 2, 0, undefined, 3),
  rec(2, 2, 1, undefined, 0),
  rec(2, 2, 2, 127, 7),
  rec(2, 2, 2, 310, 1),
  rec(2, 2, 3, undefined, 127),
];
const serverRecords = (): ResourceRecord[] => [
  rec(1, 0, 0, undefined, 1),
  rec(1, 0, 1, undefined, 86400),
  rec(1, 0, 6, undefined, true),
  rec(1, 0, 7, undefined, 'U'),
];

/** A test object 9999 with one resource per data type. */
const TYPES: DataType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'];
const testResolver: TypeResolver = (o, r) =>
  o === 9999 && r < TYPES.length
    ? { type: TYPES[r], multiple: false }
    : o === 9999 && r >= 100 && r < 100 + TYPES.length
      ? { type: TYPES[r - 100], multiple: true }
      : defaultResolver(o, r);

function roundTrip(base: Path, records: ResourceRecord[], resolve: TypeResolver = testResolver): ResourceRecord[] {
  const e = formats.encode(TLV, base, records, resolve);
  assert.ok(e.ok, js(e));
  const d = formats.decode(TLV, e.value, base, resolve);
  assert.ok(d.ok, js(d));
  return d.value.records;
}

describe('codec: TLV constants agree between TypeScript and AssemblyScript', () => {
  it('every constant of tlv-constants.ts has the same value in assembly/tlv.ts (bounds: assembly/bounds.ts)', () => {
    const read = (f: string) => readFileSync(new URL(`../../firmware/codec/assembly/${f}`, import.meta.url), 'utf8');
    const src = read('tlv.ts') + read('bounds.ts');
    const as = new Map<string, number>();
    for (const m of src.matchAll(/const (\w+): i32 = (-?\d+);/g)) as.set(m[1], Number(m[2]));
    let n = 0;
    for (const [k, v] of Object.entries(K)) {
      if (typeof v !== 'number' || !as.has(k)) continue;
      assert.equal(as.get(k), v, k);
      n++;
    }
    assert.ok(n >= 25, `compared ${n}`);
    assert.equal(as.get('MAX_PAYLOAD'), TLV_MAX_PAYLOAD);
    assert.equal(as.get('MAX_ENTRIES'), TLV_MAX_ENTRIES);
  });
});

for (const [name, make] of backends) {
  describe(`codec: TLV through the ${name} backend`, () => {
    let be: TlvBackend;
    before(() => {
      be = make();
      formats = formatsOn({ tlv: be });
    });

    it('decodes the spec Device example at /3/0 (resources) and /3 (object instance)', () => {
      const d = formats.decode(TLV, hex(DEVICE), { objectId: 3, instanceId: 0 }, defaultResolver);
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, deviceRecords());
      assert.deepEqual(
        d.value.multipleResources.map((m) => m.resourceId),
        [6, 7, 8, 11],
      );
      const d2 = formats.decode(TLV, hex(DEVICE_WITH_INSTANCE), { objectId: 3 }, defaultResolver);
      assert.ok(d2.ok);
      assert.deepEqual(d2.value.records, deviceRecords());
      assert.deepEqual(d2.value.instances, [{ objectId: 3, instanceId: 0 }]);
    });

    it('encodes the spec Device example byte for byte at /3/0 and /3', () => {
      const e = formats.encode(TLV, { objectId: 3, instanceId: 0 }, deviceRecords(), defaultResolver);
      assert.ok(e.ok);
      assert.equal(toHex(e.value), DEVICE);
      const e2 = formats.encode(TLV, { objectId: 3 }, deviceRecords(), defaultResolver);
      assert.ok(e2.ok);
      assert.equal(toHex(e2.value), DEVICE_WITH_INSTANCE);
    });

    it('decodes and encodes the multiple-instance Access Control and Server examples byte for byte', () => {
      const d = formats.decode(TLV, hex(ACL), { objectId: 2 }, defaultResolver);
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, aclRecords());
      assert.deepEqual(d.value.instances, [
        { objectId: 2, instanceId: 0 },
        { objectId: 2, instanceId: 2 },
      ]);
      const e = formats.encode(TLV, { objectId: 2 }, aclRecords(), defaultResolver);
      assert.ok(e.ok);
      assert.equal(toHex(e.value), ACL);
      const s = formats.decode(TLV, hex(SERVER), { objectId: 1 }, defaultResolver);
      assert.ok(s.ok);
      assert.deepEqual(s.value.records, serverRecords());
      const es = formats.encode(TLV, { objectId: 1 }, serverRecords(), defaultResolver);
      assert.ok(es.ok);
      assert.equal(toHex(es.value), SERVER);
    });

    it('carries a Bootstrap-Write on /0 with two Security instances', () => {
      const recs: ResourceRecord[] = [
        rec(0, 0, 0, undefined, 'coaps://bs.example.com:5684'),
        rec(0, 0, 1, undefined, true),
        rec(0, 0, 2, undefined, 0),
        rec(0, 0, 3, undefined, new Uint8Array([0x69, 0x64])),
        rec(0, 0, 5, undefined, new Uint8Array(16).fill(0xab)),
        rec(0, 1, 0, undefined, 'coap://lwm2m.example.com:5683'),
        rec(0, 1, 1, undefined, false),
        rec(0, 1, 2, undefined, 3),
        rec(0, 1, 10, undefined, 101),
      ];
      const out = roundTrip({ objectId: 0 }, recs, defaultResolver);
      assert.deepEqual(out, recs);
      const e = formats.encode(TLV, { objectId: 0 }, recs, defaultResolver);
      assert.ok(e.ok);
      assert.equal(e.value[0], 0x08); // object instance, 8-bit id, 8-bit length
      const d = formats.decode(TLV, e.value, { objectId: 0 }, defaultResolver);
      assert.ok(d.ok);
      assert.deepEqual(d.value.instances, [
        { objectId: 0, instanceId: 0 },
        { objectId: 0, instanceId: 1 },
      ]);
    });

    it('round-trips every data type and its limit values', () => {
      const cases: Array<[number, Value[]]> = [
        [0, ['', 'x', 'ünï©ødé 🚀', 'a'.repeat(300)]],
        [
          1,
          [
            0,
            -1,
            127,
            128,
            -128,
            -129,
            32767,
            32768,
            -32769,
            2 ** 31 - 1,
            2 ** 31,
            -(2 ** 31),
            -(2 ** 31) - 1,
            Number.MAX_SAFE_INTEGER,
            Number.MIN_SAFE_INTEGER,
            2n ** 63n - 1n,
            -(2n ** 63n),
            2n ** 53n + 1n,
          ],
        ],
        [2, [0, 255, 65535, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 2n ** 63n, 2n ** 64n - 1n]],
        [3, [0, 1.5, -0.25, 3.4028234663852886e38, 1e-300, 1.7976931348623157e308, Math.PI, Infinity, -Infinity]],
        [4, [true, false]],
        [5, [new Uint8Array(0), new Uint8Array([0, 255]), new Uint8Array(7000).map((_, i) => i & 0xff)]],
        [6, [0, 1367491215, -1, 2n ** 62n]],
        [
          7,
          [
            { objectId: 0, instanceId: 0 },
            { objectId: 65535, instanceId: 65535 },
            { objectId: 3, instanceId: 1 },
          ],
        ],
        [8, ['</3/0>;ct=11543']],
      ];
      for (const [rid, values] of cases)
        for (const v of values) {
          const out = roundTrip({ objectId: 9999, instanceId: 1 }, [rec(9999, 1, rid, undefined, v)]);
          assert.deepEqual(out, [rec(9999, 1, rid, undefined, v)], `${TYPES[rid]} ${String(v)}`);
        }
      const nan = roundTrip({ objectId: 9999, instanceId: 1 }, [rec(9999, 1, 3, undefined, NaN)]);
      assert.ok(Number.isNaN(nan[0].value));
    });

    it('uses the smallest integer width, float32 when exact, and 16-bit ids', () => {
      const enc = (r: number, v: Value, id = 1) => {
        const e = formats.encode(TLV, { objectId: 9999, instanceId: id }, [rec(9999, id, r, undefined, v)], testResolver);
        assert.ok(e.ok);
        return toHex(e.value);
      };
      assert.equal(enc(1, 127), 'C1017F');
      assert.equal(enc(1, 128), 'C2010080');
      assert.equal(enc(1, -(2n ** 63n)), 'C801088000000000000000');
      assert.equal(enc(2, 2n ** 64n - 1n), 'C80208FFFFFFFFFFFFFFFF');
      assert.equal(enc(3, 1.5), 'C4033FC00000');
      assert.equal(enc(3, 0.1), 'C803083FB999999999999A');
      assert.equal(enc(4, true), 'C10401');
      assert.equal(enc(7, { objectId: 3, instanceId: 1 }), 'C40700030001');
      const big = roundTrip({ objectId: 9999, instanceId: 1 }, [rec(9999, 1, 100, 65534, 'x'), rec(9999, 1, 100, 300, 'y')]);
      assert.deepEqual(
        big.map((r) => r.path.resourceInstanceId),
        [65534, 300],
      );
    });

    it('accepts 0/8/16/24-bit length fields, including non-minimal ones', () => {
      const base = { objectId: 9999, instanceId: 1 };
      for (const h of ['C30061626', 'C8000361626', 'D000000361626', 'D80000000361626']) {
        const d = formats.decode(TLV, hex(h + '3'), base, testResolver);
        assert.ok(d.ok, h);
        assert.equal(d.value.records[0].value, 'abc');
      }
      // 16-bit resource id with 24-bit length
      const d = formats.decode(TLV, hex('F8270F00000101'), { objectId: 9999, instanceId: 1 }, () => ({ type: 'integer', multiple: false }));
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, [rec(9999, 1, 9999, undefined, 1)]);
    });

    it('keeps empty object instances and empty multiple resources, both ways', () => {
      const e = formats.encode(TLV, { objectId: 9999 }, [], testResolver, {
        instances: [{ objectId: 9999, instanceId: 4 }],
        multipleResources: [{ objectId: 9999, instanceId: 5, resourceId: 101 }],
      });
      assert.ok(e.ok);
      assert.equal(toHex(e.value), '0004' + '0205' + '8065');
      const d = formats.decode(TLV, e.value, { objectId: 9999 }, testResolver);
      assert.ok(d.ok);
      assert.deepEqual(d.value.instances, [
        { objectId: 9999, instanceId: 4 },
        { objectId: 9999, instanceId: 5 },
      ]);
      assert.deepEqual(d.value.multipleResources, [{ objectId: 9999, instanceId: 5, resourceId: 101 }]);
      assert.deepEqual(d.value.records, []);
    });

    it("writes a record by the definition it carries (a Read's) without asking the resolver, and asks for one that carries none", () => {
      const asked: string[] = [];
      const counting: TypeResolver = (o, r) => {
        asked.push(`${o}/${r}`);
        return testResolver(o, r);
      };
      const base = { objectId: 9999, instanceId: 1 };
      // Resource 0 is a string to the resolver; the record's own definition says integer, and it wins.
      const carried: ResourceRecord = {
        ...rec(9999, 1, 0, undefined, 127),
        def: { id: 0, name: 'x', operations: 'R', multiple: false, mandatory: false, type: 'integer' },
      };
      const e = formats.encode(TLV, base, [carried], counting);
      assert.ok(e.ok, js(e));
      assert.equal(toHex(e.value), 'C1007F');
      assert.deepEqual(asked, []);
      const plain = formats.encode(TLV, base, [rec(9999, 1, 1, undefined, 127)], counting);
      assert.ok(plain.ok, js(plain));
      assert.equal(toHex(plain.value), 'C1017F');
      assert.deepEqual(asked, ['9999/1']);
    });

    it('returns raw bytes for resources the resolver does not know', () => {
      const d = formats.decode(TLV, hex('C10709'), { objectId: 4242, instanceId: 0 }, () => undefined);
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, [{ path: p(4242, 0, 7), value: new Uint8Array([9]), unknown: true }]);
    });

    it('rejects malformed payloads with 4.00 and a reason, never throwing', () => {
      const base2 = { objectId: 9999, instanceId: 1 };
      const bad: Array<[string, Path, string]> = [
        ['C8', base2, 'truncated'],
        ['C80105616263', base2, 'truncated'], // length past the end
        ['0203C10205', { objectId: 9999 }, 'exceeds its parent'], // child runs past instance
        ['8265410001', base2, 'exceeds its parent'],
        ['8365C10103', base2, 'nesting'], // resource inside a multiple resource
        ['82650000', base2, 'nesting'], // object instance inside a multiple resource
        ['4100 05'.replace(' ', ''), base2, 'nesting'], // resource instance at /o/i top level
        ['C10105', { objectId: 9999 }, 'nesting'], // resource at /o top level
        ['C301010203', base2, 'width'], // 3-byte integer
        ['C2040001', base2, 'width'], // 2-byte boolean
        ['C10402', base2, 'boolean'],
        ['C303000000', base2, 'width'], // 3-byte float
        ['C307000000', base2, 'width'], // 3-byte objlnk
        ['C1090A', base2, 'width'], // value for an Execute resource
        ['C100FF', base2, 'UTF-8'],
        ['C10101', { objectId: 9999, instanceId: 1, resourceId: 2 }, 'outside'],
        ['C10101', { objectId: 9999, instanceId: 1, resourceId: 1, resourceInstanceId: 0 }, 'nesting'],
        ['8601410001410102', base2, 'not multiple'],
        ['C16505', base2, 'is multiple'],
      ];
      for (const [h, base, why] of bad) {
        const d = formats.decode(TLV, hex(h), base, testResolver);
        assert.equal(d.ok, false, h);
        if (!d.ok) {
          assert.equal(formatErrorCode(d.kind), 128, h);
          assert.match(d.reason, new RegExp(why, 'i'), h);
        }
      }
    });

    it('answers 4.13 for payloads beyond the buffer bound and 4.06 for TLV at the root', () => {
      const d = formats.decode(TLV, new Uint8Array(be.maxPayload + 1), { objectId: 9999, instanceId: 1 }, testResolver);
      assert.equal(d.ok, false);
      if (!d.ok) assert.equal(d.kind, 'too-large');
      const many = new Uint8Array((be.maxEntries + 1) * 2).fill(0); // empty object instances (kind 0, id 0, len 0)
      const d2 = formats.decode(TLV, many, { objectId: 9999 }, testResolver);
      assert.equal(d2.ok, false);
      const e = formats.encode(TLV, {}, [], testResolver);
      assert.equal(e.ok, false);
      if (!e.ok) assert.equal(e.kind, 'not-acceptable');
    });

    it('survives 4000 seeded mutations of spec payloads: no throw, results equal the pure-TS reference', function () {
      this.timeout(20000);
      const reference = formatsOn({ tlv: new TlvTs() });
      const rnd = prng(0xc0ffee);
      const seeds: Array<[string, Path]> = [
        [DEVICE, { objectId: 3, instanceId: 0 }],
        [DEVICE_WITH_INSTANCE, { objectId: 3 }],
        [ACL, { objectId: 2 }],
        [SERVER, { objectId: 1 }],
      ];
      const memBefore = (be.table.buffer as ArrayBuffer).byteLength;
      let ok = 0;
      for (let k = 0; k < 4000; k++) {
        const [h, base] = seeds[k % seeds.length];
        const m = mutate(hex(h), rnd);
        const a = formats.decode(TLV, m, base, defaultResolver);
        const b = reference.decode(TLV, m, base, defaultResolver);
        assert.deepEqual(a, b, toHex(m));
        if (a.ok) ok++;
        else assert.ok(formatErrorCode(a.kind) === 128 || formatErrorCode(a.kind) === 141, a.kind);
      }
      assert.ok(ok > 50, `some mutations still decode (${ok})`);
      assert.equal((be.table.buffer as ArrayBuffer).byteLength, memBefore, 'memory did not grow');
    });
  });
}

describe('codec: TLV 24-bit lengths above the wasm bound (pure TS with large buffers)', () => {
  it('round-trips a 70000-byte opaque value through a 24-bit length field', () => {
    formats = formatsOn({ tlv: new TlvTs(1 << 18, 64, 1 << 18) });
    const v = new Uint8Array(70000).map((_, i) => (i * 7) & 0xff);
    const e = formats.encode(TLV, { objectId: 9999, instanceId: 1 }, [rec(9999, 1, 5, undefined, v)], testResolver);
    assert.ok(e.ok);
    assert.equal(toHex(e.value.subarray(0, 5)), 'D8050111'.slice(0, 8) + '70');
    const d = formats.decode(TLV, e.value, { objectId: 9999, instanceId: 1 }, testResolver);
    assert.ok(d.ok);
    assert.deepEqual(d.value.records[0].value, v);
  });
});

// Plain CBOR (Content-Format 60, Core 1.1 §7.4.3): one resource value per payload, with the type mapping
// of the Core spec, through both CBOR codecs (built-in, as on the device, and cbor-x, as on Node).
import { strict as assert } from 'node:assert';
import { builtinResolver as defaultResolver, ContentFormat, createFormats, type ResourceRecord } from '../../firmware/formats/index';
import { formatsOn } from '../support/formats';
import { formatErrorCode } from '../../firmware/lwm2m/engine/refusal';
import { parsePath } from '../../firmware/model/path';
import type { Path, Value } from '../../firmware/model/types';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';

const P = (s: string): Path => parsePath(s)!;
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const CBOR = ContentFormat.CBOR;
/** The instance the cases run on: each describe makes its own over its codec. */
let formats = formatsOn();

function enc(path: string, value: Value, rpath = path) {
  const rec: ResourceRecord = { path: P(rpath), value };
  return formats.encode(CBOR, P(path), [rec], defaultResolver);
}
function dec(path: string, h: string) {
  return formats.decode(CBOR, hex(h), P(path), defaultResolver);
}

for (const [name, codec] of [
  ['built-in', undefined],
  ['cbor-x', createCborXCodec()],
] as const) {
  describe(`formats: plain CBOR (60) over the ${name} codec`, () => {
    before(() => {
      formats = formatsOn({ cbor: codec });
    });

    it('is a supported format', () => assert.ok(createFormats().isSupported(CBOR)));

    it('encodes each LwM2M data type with its CBOR major type', () => {
      const cases: Array<[string, Value, string]> = [
        ['/1/0/0', 1, '01'], // Integer: major 0
        ['/1/0/1', 86400, '1a00015180'],
        ['/3/0/14', '+02:00', '662b30323a3030'], // String: major 3 (text)
        ['/1/0/6', false, 'f4'], // Boolean: simple 20/21
        ['/1/0/6', true, 'f5'],
        ['/1/0/7', 'U', '6155'],
        ['/6/0/0', 52.5, 'fa42520000'], // Float: major 7, float32 when exact
        ['/6/0/0', 1, 'fa3f800000'], // a whole float stays a float
        ['/6/0/1', 13.37, 'fb402abd70a3d70a3d'], // float64 when float32 is not exact
        ['/3/0/13', 1367491215, 'c11a5182428f'], // Time: tag 1 on epoch seconds
        ['/0/0/3', Uint8Array.of(1, 2, 3), '43010203'], // Opaque: major 2
        ['/1/0/4', null, ''], // executable: no value (checked below)
      ];
      for (const [p, v, h] of cases) {
        const r = enc(p, v);
        if (p === '/1/0/4') {
          assert.ok(!r.ok && r.kind === 'not-acceptable', 'an executable has no value to answer');
          continue;
        }
        assert.ok(r.ok, `${p}: ${r.ok ? '' : r.reason}`);
        assert.equal(toHex(r.value), h, p);
      }
      const neg = enc('/3/0/10', -5);
      assert.ok(neg.ok);
      assert.equal(toHex(neg.value), '24'); // Integer: major 1
    });

    it('encodes a resource instance (/3/0/11/0) and an Objlnk as "oid:iid" text', () => {
      const ri = enc('/3/0/11/0', 0);
      assert.ok(ri.ok);
      assert.equal(toHex(ri.value), '00');
      // None of objects 0-7 has an Objlnk resource: the mapping is checked through a resolver.
      const r = formats.encode(CBOR, P('/9/0/1'), [{ path: P('/9/0/1'), value: { objectId: 21, instanceId: 0 } }], () => ({
        type: 'objlnk',
        multiple: false,
      }));
      assert.ok(r.ok);
      assert.equal(toHex(r.value), '6432313a30');
    });

    it('decodes each type back to the LwM2M value', () => {
      const cases: Array<[string, string, Value]> = [
        ['/1/0/2', '1865', 101],
        ['/1/0/3', '1903f2', 1010],
        ['/1/0/6', 'f5', true],
        ['/1/0/7', '6155', 'U'],
        ['/6/0/0', 'fa42520000', 52.5],
        ['/6/0/0', 'f93e00', 1.5], // float16 is valid CBOR too
        ['/6/0/0', '02', 2], // an integer item for a Float resource
        ['/3/0/13', 'c11a5182428f', 1367491215], // tagged Time
        ['/3/0/13', '1a5182428f', 1367491215], // untagged Time
        ['/3/0/11/0', '00', 0],
      ];
      for (const [p, h, v] of cases) {
        const r = dec(p, h);
        assert.ok(r.ok, `${p} ${h}: ${r.ok ? '' : r.reason}`);
        assert.equal(r.value.records.length, 1);
        assert.deepEqual(r.value.records[0].path, P(p));
        assert.deepEqual(r.value.records[0].value, v, `${p} ${h}`);
      }
      const o = dec('/0/0/3', '43010203');
      assert.ok(o.ok);
      assert.deepEqual([...(o.value.records[0].value as Uint8Array)], [1, 2, 3]);
    });

    it('round-trips through encode and decode', () => {
      for (const [p, v] of [
        ['/1/0/1', 63],
        ['/1/0/6', true],
        ['/3/0/15', 'Europe/Paris'],
        ['/6/0/0', -33.875],
        ['/3/0/13', 1700000000],
      ] as const) {
        const e = enc(p, v);
        assert.ok(e.ok);
        const d = formats.decode(CBOR, e.value, P(p), defaultResolver);
        assert.ok(d.ok);
        assert.deepEqual(d.value.records[0].value, v);
      }
    });

    it('refuses a target wider than one value: 4.15 to decode, 4.06 to encode', () => {
      for (const p of ['/1', '/1/0', '/3/0/11']) {
        const d = dec(p, '01');
        assert.ok(!d.ok && d.kind === 'unsupported', `decode at ${p}`);
      }
      const inst = formats.encode(
        CBOR,
        P('/1/0'),
        [
          { path: P('/1/0/0'), value: 1 },
          { path: P('/1/0/1'), value: 2 },
        ],
        defaultResolver,
      );
      assert.ok(!inst.ok && inst.kind === 'not-acceptable');
      const multi = formats.encode(CBOR, P('/3/0/11'), [{ path: P('/3/0/11/0'), value: 0 }], defaultResolver);
      assert.ok(!multi.ok && multi.kind === 'not-acceptable');
      assert.ok(!dec('/1/0/1/0', '01').ok, 'an instance of a single resource');
    });

    it('refuses a CBOR item of the wrong type, a stray tag and malformed CBOR with 4.00', () => {
      const bad: Array<[string, string]> = [
        ['/1/0/6', '01'], // integer for a Boolean
        ['/1/0/1', '6131'], // text for an Integer
        ['/1/0/1', 'fa3fc00000'], // 1.5 for an Integer
        ['/1/0/7', '4155'], // bytes for a String
        ['/0/0/3', '6155'], // text for Opaque
        ['/1/0/1', 'c101'], // tag 1 on a non-Time resource
        ['/1/0/1', '1a0001'], // truncated
        ['/1/0/1', '0101'], // trailing bytes
        ['/1/0/1', ''], // nothing
        ['/1/0/1', 'f6'], // null
        ['/1/0/1', '3bffffffffffffffff'], // below int64
      ];
      for (const [p, h] of bad) {
        const r = dec(p, h);
        assert.ok(!r.ok && formatErrorCode(r.kind) === 128, `${p} ${h}: ${r.ok ? 'accepted' : r.kind}`);
      }
    });
  });
}

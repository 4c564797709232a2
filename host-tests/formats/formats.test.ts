import { strict as assert } from 'node:assert';
import {
  builtinResolver,
  COMPOSITE_FORMATS,
  ContentFormat,
  createFormats,
  FORMAT_ENTRIES,
  formatByWord,
  formatEntry,
  encodeLinkFormat,
  parseLinkFormat,
} from '../../firmware/formats/index';
import { formatErrorCode } from '../../firmware/lwm2m/engine/refusal';
import { Code } from '../../firmware/coap/message';
import { TlvTs } from '../../firmware/codec/tlv-ts';
import { formatsOn } from '../support/formats';
import type { ResourceRecord, TypeResolver } from '../../firmware/formats/index';
import type { Path, Value } from '../../firmware/model/index';
import { utf8Encode } from '../../firmware/util/utf8';
import { prng, mutate, toHex } from '../codec/helpers';
import { Encoder } from 'cbor-x';
import { builtinCborCodec } from '../../firmware/formats/cbor-codec';
import type { CborCodec } from '../../firmware/formats/cbor-codec';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';

const R = builtinResolver;
/** The instance the cases run on; the SenML CBOR ones make theirs over their codec. */
let formats = formatsOn();
const rec = (o: number, i: number, r: number, ri: number | undefined, value: Value): ResourceRecord => ({
  path:
    ri === undefined
      ? { objectId: o, instanceId: i, resourceId: r }
      : { objectId: o, instanceId: i, resourceId: r, resourceInstanceId: ri },
  value,
});
const txt = (s: string) => utf8Encode(s);
const cbor = new Encoder({ useRecords: false, mapsAsObjects: false, tagUint8Array: false } as never);
/** The SenML CBOR tests run once per codec: the built-in one (device) and cbor-x (Node). */
const CBOR_CODECS: CborCodec[] = [builtinCborCodec, createCborXCodec()];

describe('formats: the registry', () => {
  it('knows its formats (1.0 ids as aliases) and answers unsupported (4.15) / not-acceptable (4.06) for others', () => {
    const f0 = createFormats();
    for (const f of [0, 42, 60, 11542, 110, 112, 11543, 1542, 1543]) assert.ok(f0.isSupported(f), String(f));
    assert.equal(f0.isSupported(50), false);
    assert.equal(f0.isSupported(ContentFormat.LINK_FORMAT), false, 'link-format carries no resource values');
    assert.equal(formatEntry(1542), formatEntry(11542));
    assert.equal(formatEntry(1543)?.name, 'LwM2M JSON');
    const d = f0.decode(50, new Uint8Array(1), { objectId: 3, instanceId: 0 });
    assert.deepEqual(d, { ok: false, kind: 'unsupported', reason: 'content format 50 is not supported' });
    const e = f0.encode(50, { objectId: 3 }, []);
    assert.ok(!e.ok && e.kind === 'not-acceptable');
  });

  it('derives the composite set, the ct order of a Register and the words from the entries', () => {
    assert.deepEqual([...COMPOSITE_FORMATS].sort(), [110, 112]);
    assert.deepEqual(
      FORMAT_ENTRIES.map((e) => e.id),
      [0, 42, 60, 110, 112, 11542, 11543],
    );
    assert.equal(formatByWord('senml-cbor')?.mediaType, 'application/senml+cbor');
    assert.equal(formatByWord('tlv')?.id, 11542);
    assert.equal(formatByWord('nope'), undefined);
  });

  it('the request layer maps each error kind to one CoAP code', () => {
    assert.equal(formatErrorCode('unsupported'), Code.UNSUPPORTED_CONTENT_FORMAT);
    assert.equal(formatErrorCode('not-acceptable'), Code.NOT_ACCEPTABLE);
    assert.equal(formatErrorCode('malformed'), Code.BAD_REQUEST);
    assert.equal(formatErrorCode('outside-base'), Code.BAD_REQUEST);
    assert.equal(formatErrorCode('type-mismatch'), Code.BAD_REQUEST);
    assert.equal(formatErrorCode('too-large'), Code.REQUEST_ENTITY_TOO_LARGE);
    assert.equal(formatErrorCode('internal'), Code.INTERNAL_SERVER_ERROR);
  });

  it("runs each instance on its own codecs: one instance's codec never reaches another", () => {
    const seen: string[] = [];
    const spy: CborCodec = {
      name: 'spy',
      encode: (v) => {
        seen.push('encode');
        return builtinCborCodec.encode(v);
      },
      decode: (b) => {
        seen.push('decode');
        return builtinCborCodec.decode(b);
      },
    };
    const tlvA = new TlvTs(),
      tlvB = new TlvTs();
    const a = createFormats({ cbor: spy, tlv: tlvA }),
      b = createFormats({ tlv: tlvB });
    const recs = [rec(3, 0, 0, undefined, 'ACME')];
    const viaB = b.encode(112, { objectId: 3, instanceId: 0 }, recs);
    assert.ok(viaB.ok);
    assert.deepEqual(seen, [], 'the default instance does not use the spy');
    const viaA = a.encode(112, { objectId: 3, instanceId: 0 }, recs);
    assert.ok(viaA.ok);
    assert.deepEqual(seen, ['encode']);
    assert.deepEqual(viaA.value, viaB.value);
    const retyped = a.withResolver(() => undefined);
    assert.ok(retyped.cbor === a.cbor && retyped.tlv === a.tlv, 'withResolver keeps the codecs');
    assert.ok(b.encode(11542, { objectId: 3, instanceId: 0 }, recs).ok);
    assert.equal(b.tlv, tlvB);
  });

  it('types resources with its resolver: an unknown resource decodes as raw bytes', () => {
    const known = createFormats().decode(0, txt('42'), { objectId: 1, instanceId: 0, resourceId: 1 });
    assert.ok(known.ok && known.value.records[0].value === 42);
    const blind = createFormats({ resolve: () => undefined }).decode(0, txt('42'), { objectId: 1, instanceId: 0, resourceId: 1 });
    assert.ok(blind.ok && blind.value.records[0].unknown === true);
  });
});

describe('formats: text/plain and opaque', () => {
  it('decodes a value per resource type', () => {
    const one = (p: Path, s: string) => {
      const d = formats.decode(0, txt(s), p, R);
      assert.ok(d.ok, s);
      return d.value.records[0].value;
    };
    assert.equal(one({ objectId: 1, instanceId: 0, resourceId: 1 }, '86400'), 86400);
    assert.equal(one({ objectId: 0, instanceId: 0, resourceId: 1 }, '1'), true);
    assert.equal(one({ objectId: 3, instanceId: 0, resourceId: 0 }, 'ACME'), 'ACME');
    assert.deepEqual(one({ objectId: 0, instanceId: 0, resourceId: 5 }, 'AQIDBAU='), new Uint8Array([1, 2, 3, 4, 5]));
    assert.equal(one({ objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 0 }, '1'), 1);
    const bad = formats.decode(0, txt('12x'), { objectId: 1, instanceId: 0, resourceId: 1 }, R);
    assert.equal(bad.ok, false);
    const multi = formats.decode(0, txt('1'), { objectId: 3, instanceId: 0, resourceId: 6 }, R);
    assert.equal(multi.ok, false);
  });

  it('encodes text (opaque as base64) and opaque', () => {
    const e = formats.encode(
      0,
      { objectId: 0, instanceId: 0, resourceId: 5 },
      [rec(0, 0, 5, undefined, new Uint8Array([1, 2, 3, 4, 5]))],
      R,
    );
    assert.ok(e.ok);
    assert.equal(new TextDecoder().decode(e.value), 'AQIDBAU=');
    const b = formats.encode(0, { objectId: 0, instanceId: 0, resourceId: 1 }, [rec(0, 0, 1, undefined, false)], R);
    assert.ok(b.ok);
    assert.equal(new TextDecoder().decode(b.value), '0');
    const o = formats.decode(42, new Uint8Array([9, 8]), { objectId: 0, instanceId: 0, resourceId: 3 }, R);
    assert.ok(o.ok);
    assert.deepEqual(o.value.records[0].value, new Uint8Array([9, 8]));
    const no = formats.decode(42, new Uint8Array([9]), { objectId: 3, instanceId: 0, resourceId: 0 }, R);
    assert.equal(no.ok, false);
  });
});

describe('formats: SenML JSON', () => {
  it('resolves names from bn + n for resource, instance and object paths', () => {
    const s = '[{"bn":"/3/0/","n":"0","vs":"ACME"},{"n":"6/0","v":1},{"n":"13","v":1367491215},{"bn":"/3/0/9","v":80}]';
    const d = formats.decode(110, txt(s), { objectId: 3, instanceId: 0 }, R);
    assert.ok(d.ok);
    assert.deepEqual(d.value.records, [
      rec(3, 0, 0, undefined, 'ACME'),
      rec(3, 0, 6, 0, 1),
      rec(3, 0, 13, undefined, 1367491215),
      rec(3, 0, 9, undefined, 80),
    ]);
    // Object level: two instances named by n, base name '/1/'.
    const o = '[{"bn":"/1/","n":"0/0","v":101},{"n":"0/1","v":300},{"n":"1/0","v":102},{"n":"1/6","vb":true}]';
    const d2 = formats.decode(110, txt(o), { objectId: 1 }, R);
    assert.ok(d2.ok);
    assert.deepEqual(d2.value.instances, [
      { objectId: 1, instanceId: 0 },
      { objectId: 1, instanceId: 1 },
    ]);
    assert.equal(d2.value.records.length, 4);
    // Resource path: bn only.
    const d3 = formats.decode(110, txt('[{"bn":"/1/0/1","v":60}]'), { objectId: 1, instanceId: 0, resourceId: 1 }, R);
    assert.ok(d3.ok);
    assert.deepEqual(d3.value.records, [rec(1, 0, 1, undefined, 60)]);
  });

  it('types vs/v/vb/vd/vlo, ignores bt/t, rejects outside-base and mismatches', () => {
    const ok = formats.decode(
      110,
      txt('[{"bn":"/0/0/","bt":5,"n":"3","vd":"AQID"},{"n":"5","vd":"_-8","t":1}]'),
      { objectId: 0, instanceId: 0 },
      R,
    );
    assert.ok(ok.ok);
    assert.deepEqual(
      ok.value.records.map((r) => r.value),
      [new Uint8Array([1, 2, 3]), new Uint8Array([0xff, 0xef])],
    );
    const lnk: TypeResolver = () => ({ type: 'objlnk', multiple: false });
    const l = formats.decode(110, txt('[{"n":"/9/0/1","vlo":"3:0"}]'), { objectId: 9, instanceId: 0 }, lnk);
    assert.ok(l.ok);
    assert.deepEqual(l.value.records[0].value, { objectId: 3, instanceId: 0 });
    for (const [s, base] of [
      ['[{"bn":"/3/1/","n":"0","vs":"x"}]', { objectId: 3, instanceId: 0 }], // outside base
      ['[{"bn":"/3/0/","n":"0","v":1}]', { objectId: 3, instanceId: 0 }], // v on a string resource
      ['[{"bn":"/3/0/","n":"9","v":1.5}]', { objectId: 3, instanceId: 0 }], // float on integer
      ['[{"bn":"/3/0/","n":"0"}]', { objectId: 3, instanceId: 0 }], // no value
      ['{"bn":"/3/0/"}', { objectId: 3, instanceId: 0 }],
      ['[{"n":"/3/0/0","vs":"x","foo_":1}]', { objectId: 3, instanceId: 0 }], // must-understand field
      ['[1,2', { objectId: 3 }],
    ] as Array<[string, Path]>) {
      const d = formats.decode(110, txt(s), base, R);
      assert.equal(d.ok, false, s);
      if (!d.ok) assert.equal(formatErrorCode(d.kind), 128);
    }
  });

  it('encodes the Device instance like the spec examples and round-trips', () => {
    const recs = [rec(3, 0, 0, undefined, 'Open Mobile Alliance'), rec(3, 0, 6, 0, 1), rec(3, 0, 6, 1, 5), rec(3, 0, 9, undefined, 100)];
    const e = formats.encode(110, { objectId: 3, instanceId: 0 }, recs, R);
    assert.ok(e.ok);
    assert.equal(
      new TextDecoder().decode(e.value),
      '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"9","v":100}]',
    );
    const d = formats.decode(110, e.value, { objectId: 3, instanceId: 0 }, R);
    assert.ok(d.ok);
    assert.deepEqual(d.value.records, recs);
    const one = formats.encode(110, { objectId: 3, instanceId: 0, resourceId: 0 }, [recs[0]], R);
    assert.ok(one.ok);
    assert.equal(new TextDecoder().decode(one.value), '[{"bn":"/3/0/0","vs":"Open Mobile Alliance"}]');
  });
});

for (const codec of CBOR_CODECS)
  describe(`formats: SenML CBOR (${codec.name} codec)`, () => {
    before(() => {
      formats = formatsOn({ cbor: codec });
    });
    after(() => {
      formats = formatsOn();
    });

    it('uses the RFC 8428 integer labels (bn -2, n 0, v 2, vs 3, vb 4, vd 8) and round-trips int64/uint64', () => {
      const u64: TypeResolver = (o, r) =>
        r === 1 ? { type: 'unsigned', multiple: false } : r === 2 ? { type: 'integer', multiple: false } : R(o, r);
      const recs = [rec(0, 0, 0, undefined, 'coap://x'), rec(0, 0, 1, undefined, true), rec(0, 0, 5, undefined, new Uint8Array([7]))];
      const e = formats.encode(112, { objectId: 0, instanceId: 0 }, recs, R);
      assert.ok(e.ok);
      // [{-2:"/0/0/", 0:"0", 3:"coap://x"}, {0:"1", 4:true}, {0:"5", 8:h'07'}]
      assert.equal(
        toHex(e.value),
        '83A3216' + '52F302F302F' + '00613003' + '68636F61703A2F2F78' + 'A2006131' + '04F5' + 'A2006135' + '084107',
      );
      const d = formats.decode(112, e.value, { objectId: 0, instanceId: 0 }, R);
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, recs);
      const big = [rec(9, 0, 1, undefined, 2n ** 64n - 1n), rec(9, 0, 2, undefined, -(2n ** 63n))];
      const e2 = formats.encode(112, { objectId: 9, instanceId: 0 }, big, u64);
      assert.ok(e2.ok);
      const d2 = formats.decode(112, e2.value, { objectId: 9, instanceId: 0 }, u64);
      assert.ok(d2.ok);
      assert.deepEqual(d2.value.records, big);
    });

    it('resolves bn + n and rejects bad shapes with 4.00', () => {
      const b = cbor.encode([
        new Map<number, unknown>([
          [-2, '/1/0/'],
          [0, '1'],
          [2, 300],
        ]),
        new Map<number, unknown>([
          [0, '7'],
          [3, 'UQ'],
        ]),
      ]);
      const d = formats.decode(112, new Uint8Array(b), { objectId: 1, instanceId: 0 }, R);
      assert.ok(d.ok);
      assert.deepEqual(d.value.records, [rec(1, 0, 1, undefined, 300), rec(1, 0, 7, undefined, 'UQ')]);
      for (const x of [new Uint8Array([0xff]), new Uint8Array(cbor.encode({ a: 1 })), new Uint8Array(cbor.encode([new Map([[0, 5]])]))]) {
        const r = formats.decode(112, x, { objectId: 1, instanceId: 0 }, R);
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(formatErrorCode(r.kind), 128);
      }
    });
  });

describe('formats: LwM2M JSON (1.0)', () => {
  it('decodes the {"bn","e"} shape with sv/v/bv/ov and base64 opaque in sv', () => {
    const s = '{"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"6/0","v":1},{"n":"9","v":100}]}';
    const d = formats.decode(11543, txt(s), { objectId: 3, instanceId: 0 }, R);
    assert.ok(d.ok);
    assert.deepEqual(d.value.records, [rec(3, 0, 0, undefined, 'Open Mobile Alliance'), rec(3, 0, 6, 0, 1), rec(3, 0, 9, undefined, 100)]);
    const o = formats.decode(1543, txt('{"bn":"/0/1/","e":[{"n":"5","sv":"AQI="},{"n":"1","bv":false}]}'), { objectId: 0 }, R);
    assert.ok(o.ok);
    assert.deepEqual(o.value.records, [rec(0, 1, 5, undefined, new Uint8Array([1, 2])), rec(0, 1, 1, undefined, false)]);
    const e = formats.encode(11543, { objectId: 3, instanceId: 0 }, d.value.records, R);
    assert.ok(e.ok);
    assert.equal(new TextDecoder().decode(e.value), s);
  });
});

describe('formats: link-format', () => {
  it('encodes registration / discover payloads with quoted rt and bare numbers', () => {
    const s = encodeLinkFormat([
      {
        target: '',
        attrs: [
          ['rt', 'oma.lwm2m'],
          ['ct', '11543'],
        ],
      },
      { target: '/1/0', attrs: [] },
      { target: '/3/0', attrs: [['ver', '1.1']] },
      {
        target: '/3/0/1',
        attrs: [
          ['obs', undefined],
          ['title', 'a, b; "c"'],
        ],
      },
    ]);
    assert.equal(s, '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1,</3/0/1>;obs;title="a, b; \\"c\\""');
    const back = parseLinkFormat(s)!;
    assert.deepEqual(
      back.map((l) => l.attrs),
      [
        [
          ['rt', 'oma.lwm2m'],
          ['ct', '11543'],
        ],
        [],
        [['ver', '1.1']],
        [
          ['obs', undefined],
          ['title', 'a, b; "c"'],
        ],
      ],
    );
    assert.deepEqual(
      back.map((l) => l.target),
      ['/', '/1/0', '/3/0', '/3/0/1'],
    );
  });

  it('parses quoted values with commas and rejects malformed text', () => {
    const l = parseLinkFormat('</0/0>;ssid=101;uri="coap://h:5683,x",</1/0>;ssid=101')!;
    assert.equal(l.length, 2);
    assert.deepEqual(l[0].attrs, [
      ['ssid', '101'],
      ['uri', 'coap://h:5683,x'],
    ]);
    assert.deepEqual(parseLinkFormat(''), []);
    for (const bad of ['</3/0', '/3/0>', '</3>;', '</3>;a="x', '</3>,,</4>', '</3> x']) assert.equal(parseLinkFormat(bad), undefined, bad);
  });
});

for (const codec of CBOR_CODECS)
  describe(`formats: seeded fuzzing of the SenML decoders (${codec.name} CBOR codec)`, () => {
    before(() => {
      formats = formatsOn({ cbor: codec });
    });
    after(() => {
      formats = formatsOn();
    });

    it('3000 mutations each of SenML JSON and CBOR: only ok or 4.00, never a throw', () => {
      const rnd = prng(1234567);
      const recs = [
        rec(3, 0, 0, undefined, 'Open Mobile Alliance'),
        rec(3, 0, 6, 0, 1),
        rec(3, 0, 6, 1, 5),
        rec(3, 0, 9, undefined, 100),
        rec(3, 0, 13, undefined, 1367491215),
      ];
      for (const f of [110, 112, 11543]) {
        const e = formats.encode(f, { objectId: 3, instanceId: 0 }, recs, R);
        assert.ok(e.ok);
        let okCount = 0;
        for (let k = 0; k < 3000; k++) {
          const m = mutate(e.value, rnd);
          const d = formats.decode(f, m, { objectId: 3, instanceId: 0 }, R);
          if (d.ok) okCount++;
          else assert.equal(formatErrorCode(d.kind), 128);
        }
        assert.ok(okCount > 0, `format ${f}: some mutations decode`);
      }
    });
  });

// The core CBOR codec (firmware/formats/cbor.ts) against RFC 8949 Appendix A, its strictness and bounds,
// SenML CBOR shapes against cbor-x in both directions, the codec seam, and seeded fuzzing.
import { strict as assert } from 'node:assert';
import { decodeCbor, encodeCbor, CBOR_DEFAULT_LIMITS } from '../../firmware/formats/cbor';
import type { CborValue } from '../../firmware/formats/cbor';
import { builtinCborCodec } from '../../firmware/formats/cbor-codec';
import type { CborCodec } from '../../firmware/formats/cbor-codec';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';
import { builtinResolver, createFormats } from '../../firmware/formats/index';
import { formatErrorCode } from '../../firmware/lwm2m/engine/refusal';
import { formatsOn } from '../support/formats';
import type { ResourceRecord } from '../../firmware/formats/index';
import { parsePathList } from '../../firmware/lwm2m/dm/composite-paths';
import type { Value } from '../../firmware/model/index';
import { prng, mutate, toHex, hex } from '../codec/helpers';
import {
  M,
  APPENDIX_A,
  APPENDIX_A_REFUSED,
  RFC8428_PACK,
  RFC8428_VALUE,
  LWM2M_DEVICE,
  LWM2M_SECURITY,
  COMPOSITE_PATHS,
  randomPack,
} from './cbor-vectors';

const R = builtinResolver;
const cborx = createCborXCodec();
const codecs: CborCodec[] = [builtinCborCodec, cborx];
/** cbor-x as the Node codec configures it (maps as Map). */
const cborxDecode = (b: Uint8Array) => cborx.decode(b);

/** Same value whatever produced it: bigints in the safe range become numbers, Buffers plain Uint8Arrays. */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [norm(k), norm(x)]));
  return v;
}

function dec(h: string): CborValue {
  const r = decodeCbor(hex(h));
  assert.ok(r.ok, `${h}: ${r.ok ? '' : r.error}`);
  return r.value;
}

function enc(v: unknown): string {
  const r = encodeCbor(v);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return toHex(r.value).toLowerCase();
}

function decErr(h: string | Uint8Array, limits?: Parameters<typeof decodeCbor>[1]): string {
  const r = decodeCbor(typeof h === 'string' ? hex(h) : h, limits);
  assert.equal(r.ok, false, `${typeof h === 'string' ? h : 'input'} should not decode`);
  return r.ok ? '' : r.error;
}

describe('CBOR (built-in): RFC 8949 Appendix A', () => {
  it('decodes every vector of the supported subset to the stated value', () => {
    for (const [v, h] of APPENDIX_A) {
      const got = dec(h);
      assert.deepEqual(got, v, h);
      if (typeof v === 'number' && v === 0) assert.equal(Object.is(got, -0), Object.is(v, -0), `${h}: sign of zero`);
    }
  });

  it('encodes to the preferred serialization where the vector is preferred and in the encoder subset', () => {
    for (const [v, h, preferred] of APPENDIX_A) if (preferred) assert.equal(enc(v), h, String(v));
    // The decode-only float vectors encode as float32 (exact) or as integers (JS cannot tell 1.0 from 1).
    assert.equal(enc(1.5), 'fa3fc00000');
    assert.equal(enc(100000), '1a000186a0');
    assert.equal(enc(-0), 'fa80000000');
    assert.equal(enc(NaN), 'fa7fc00000');
  });

  it('refuses tags, undefined and simple values with an error value', () => {
    for (const h of APPENDIX_A_REFUSED) assert.match(decErr(h), /not supported/, h);
  });

  it('agrees with cbor-x on every supported vector', () => {
    for (const [, h] of APPENDIX_A) {
      const mine = dec(h);
      let theirs: unknown;
      try {
        theirs = cborxDecode(hex(h));
      } catch {
        continue;
      } // cbor-x refuses indefinite strings
      assert.deepEqual(norm(mine), norm(theirs), h);
    }
  });
});

describe('CBOR (built-in): strictness and bounds', () => {
  it('rejects truncation at every cut of valid items, and trailing bytes', () => {
    for (const [, h] of APPENDIX_A) {
      const b = hex(h);
      for (let n = 0; n < b.length; n++) decErr(b.subarray(0, n));
      assert.equal(decErr(hex(h + '00')), 'trailing bytes', h);
    }
  });

  it('rejects reserved additional information 28-30 on every major type', () => {
    for (let major = 0; major < 8; major++)
      for (const ai of [28, 29, 30]) {
        assert.match(decErr(new Uint8Array([(major << 5) | ai, 0, 0, 0, 0, 0, 0, 0, 0])), /reserved/);
      }
  });

  it('rejects the malformed shapes of RFC 8949 Appendix F', () => {
    for (const h of [
      '1f',
      '3f',
      'df', // indefinite length on integers and tags
      'ff',
      '81ff',
      '8200ff',
      'a1ff',
      'a1ff00',
      'a100ff',
      'a20000ff', // break outside an indefinite item
      '5f00ff',
      '5f21ff',
      '5f6100ff',
      '5f5f4100ffff',
      '7f4100ff',
      '7f7f6100ffff', // bad chunks
      '9f',
      '9f0102',
      'bf',
      'bf01020102',
      '819f',
      '8181',
      '5f4100',
      'a1',
      'a20102a0', // unclosed
      '62c3',
      '61ff',
      '62c0ae',
      '63eda080',
      '7f61c3ff', // invalid UTF-8 (cut, stray, overlong, surrogate, chunk)
      'f818',
      'f81f', // two-byte simple values
      'bf00',
      '5f',
    ])
      decErr(h);
  });

  it('map keys: integers and text only, no duplicates', () => {
    assert.match(decErr('a14100f6'), /key/); // byte string key
    assert.match(decErr('a18000f6'.slice(0, 6)), /key|truncated/);
    assert.match(decErr('a1f4f6'), /key/); // boolean key
    assert.match(decErr('a1fa3fc0000001'), /key/); // float keys, even integral ones
    assert.match(decErr('a1f93c0001'), /key/);
    assert.match(decErr('a11b002000000000000001'), /key/); // integer key beyond the safe range
    assert.match(decErr('a2010201 03'.replace(' ', '')), /duplicate/);
    assert.match(decErr('a2616101616102'), /duplicate/);
    assert.deepEqual(dec('a2016161200f'), M([1, 'a'], [-1, 15]));
  });

  it('bounds nesting depth and item count before allocating', () => {
    const nest = (d: number) => new Uint8Array([...Array(d).fill(0x81), 0x00]);
    assert.ok(decodeCbor(nest(CBOR_DEFAULT_LIMITS.maxDepth)).ok);
    assert.match(decErr(nest(CBOR_DEFAULT_LIMITS.maxDepth + 1)), /nesting/);
    assert.match(decErr(new Uint8Array(100000).fill(0x9f)), /nesting/); // deep indefinite arrays: no stack overflow
    assert.match(decErr(nest(3), { maxDepth: 2 }), /nesting/);
    // Counts larger than the bytes left are refused up front (a 5-byte input claiming 2^32-1 entries).
    assert.match(decErr('9affffffff'), /truncated/);
    assert.match(decErr('bbffffffffffffffff'), /truncated/);
    assert.match(decErr('5bffffffffffffffff'), /truncated/);
    // 20000 one-byte items inside an indefinite array: stopped at maxItems.
    const many = new Uint8Array(20002);
    many.fill(0x80);
    many[0] = 0x9f;
    many[20001] = 0xff;
    assert.match(decErr(many), /more than 8192 data items/);
    assert.ok(decodeCbor(many, { maxItems: 20001 }).ok);
    const arr = hex('99ffff');
    assert.match(decErr(new Uint8Array([...arr, ...new Uint8Array(0xffff)])), /more than/);
  });

  it('byte strings are copies, not views of the input', () => {
    const input = hex('4401020304');
    const r = decodeCbor(input);
    assert.ok(r.ok);
    input[1] = 99;
    assert.deepEqual(r.value, new Uint8Array([1, 2, 3, 4]));
    assert.equal((r.value as Uint8Array).buffer.byteLength, 4);
  });

  it('decodes 64-bit integers as number while safe, bigint beyond', () => {
    assert.equal(dec('1b001fffffffffffff'), Number.MAX_SAFE_INTEGER);
    assert.equal(dec('1b0020000000000000'), 2n ** 53n);
    assert.equal(dec('3b001ffffffffffffe'), -Number.MAX_SAFE_INTEGER);
    assert.equal(dec('3b001fffffffffffff'), -(2n ** 53n));
    assert.equal(dec('1b0000000000000001'), 1); // non-preferred heads are accepted
  });

  it('encoder: shortest heads, safe integers as integers, 64-bit bigints, errors as values', () => {
    assert.equal(enc(2n ** 32n - 1n), '1affffffff');
    assert.equal(enc(5n), '05');
    assert.equal(enc(-(2n ** 63n)), '3b7fffffffffffffff');
    assert.equal(enc(2 ** 53), 'fa5a000000'); // beyond the safe range: an exact float, not an integer
    assert.equal(enc(0.1), 'fb3fb999999999999a');
    assert.equal(enc({ a: 1 }), 'a1616101');
    assert.equal(enc('\ud800'), '63efbfbd'); // lone surrogate → U+FFFD, as utf8Encode does
    for (const bad of [2n ** 64n, -(2n ** 64n) - 1n, undefined, () => 1, Symbol('x'), new Date(0), M([1.5, 1]), new Map([[true, 1]])]) {
      const r = encodeCbor(bad);
      assert.equal(r.ok, false, String(bad));
    }
    const cyc: unknown[] = [];
    cyc.push(cyc);
    assert.match((encodeCbor(cyc) as { error: string }).error, /nesting/);
    assert.match((encodeCbor(new Uint8Array(70000)) as { error: string }).error, /above 65536/);
    assert.ok(encodeCbor(new Uint8Array(70000), { maxBytes: 70010 }).ok);
  });
});

describe('SenML CBOR shapes: built-in codec and cbor-x agree', () => {
  it('decodes the RFC 8428 pack identically with the built-in codec and cbor-x', () => {
    const b = hex(RFC8428_PACK);
    assert.deepEqual(builtinCborCodec.decode(b), RFC8428_VALUE);
    assert.deepEqual(norm(cborx.decode(b)), RFC8428_VALUE);
  });

  it('each codec decodes what the other encodes, for the LwM2M shapes and 300 seeded random packs', () => {
    const rnd = prng(8428);
    const shapes: unknown[] = [RFC8428_VALUE, LWM2M_DEVICE, LWM2M_SECURITY, COMPOSITE_PATHS];
    for (let k = 0; k < 300; k++) shapes.push(randomPack(rnd, 1 + Math.floor(rnd() * 20)));
    for (const v of shapes) {
      const want = norm(v);
      const mine = builtinCborCodec.encode(v);
      const theirs = cborx.encode(v);
      assert.deepEqual(norm(cborxDecode(mine)), want, 'built-in → cbor-x');
      assert.deepEqual(norm(builtinCborCodec.decode(theirs)), want, 'cbor-x → built-in');
      assert.deepEqual(norm(builtinCborCodec.decode(mine)), want, 'built-in round trip');
      // Both write preferred heads for everything but bigints (cbor-x always uses 8 bytes) and
      // floats (cbor-x writes float64 where float32 is exact; see cbor-x useFloat32).
    }
  });

  it('the LwM2M Device pack encodes to the same bytes with both codecs', () => {
    assert.equal(toHex(builtinCborCodec.encode(LWM2M_DEVICE)), toHex(cborx.encode(LWM2M_DEVICE)));
  });

  for (const codec of codecs) {
    describe(`SenML CBOR (112) and parsePathList through the ${codec.name} codec`, () => {
      const formats = formatsOn({ cbor: codec });

      it('decodes the LwM2M Device and Security packs to typed records', () => {
        const d = formats.decode(112, builtinCborCodec.encode(LWM2M_DEVICE), { objectId: 3, instanceId: 0 }, R);
        assert.ok(d.ok, d.ok ? '' : d.reason);
        assert.equal(d.value.records.length, 9);
        assert.deepEqual(d.value.records[6], { path: { objectId: 3, instanceId: 0, resourceId: 13 }, value: 1367491215 });
        const s = formats.decode(112, cborx.encode(LWM2M_SECURITY), { objectId: 0, instanceId: 1 }, R);
        assert.ok(s.ok, s.ok ? '' : s.reason);
        assert.deepEqual(
          s.value.records.map((r) => r.value),
          [
            'coaps://lwm2m.example.com:5684',
            false,
            0,
            new Uint8Array([0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74]),
            new Uint8Array(16).fill(0xa5),
            101,
            2n ** 53n,
          ],
        );
      });

      it('parses a SenML CBOR composite path list', () => {
        const p = parsePathList(112, builtinCborCodec.encode(COMPOSITE_PATHS), codec);
        assert.deepEqual(p, {
          ok: true,
          paths: [
            { objectId: 3, instanceId: 0, resourceId: 0 },
            { objectId: 1, instanceId: 0 },
            { objectId: 3, instanceId: 0, resourceId: 9 },
          ],
        });
        assert.equal(parsePathList(112, hex('ff'), codec).ok, false);
      });

      it('SenML CBOR output decodes to the same records with the other codec', () => {
        const recs: ResourceRecord[] = LWM2M_DEVICE.map((m, i) => ({
          path: {
            objectId: 3,
            instanceId: 0,
            resourceId: Number(String(m.get(0)).split('/')[0]),
            ...(String(m.get(0)).includes('/') ? { resourceInstanceId: Number(String(m.get(0)).split('/')[1]) } : {}),
          },
          value: (m.get(2) ?? m.get(3)) as Value,
        }));
        const e = formats.encode(112, { objectId: 3, instanceId: 0 }, recs, R);
        assert.ok(e.ok);
        const other = codec === cborx ? builtinCborCodec : cborx;
        const d = formatsOn({ cbor: other }).decode(112, e.value, { objectId: 3, instanceId: 0 }, R);
        assert.ok(d.ok, d.ok ? '' : d.reason);
        assert.deepEqual(d.value.records, recs);
      });

      it('5000 seeded mutations: only ok or 4.00, never the catch-all, never a throw', () => {
        const rnd = prng(codec === cborx ? 112 : 211);
        const bases = [LWM2M_DEVICE, LWM2M_SECURITY, RFC8428_VALUE].map((v) => builtinCborCodec.encode(v));
        const paths = [{ objectId: 3, instanceId: 0 }, { objectId: 0, instanceId: 1 }, { objectId: 3 }];
        let ok = 0;
        for (let k = 0; k < 5000; k++) {
          const j = k % 3;
          const d = formats.decode(112, mutate(bases[j], rnd), paths[j], R);
          if (d.ok) ok++;
          else {
            assert.equal(formatErrorCode(d.kind), 128);
            assert.notEqual(d.reason, 'payload does not decode');
          }
          parsePathList(112, mutate(bases[j], rnd), codec);
        }
        assert.ok(ok > 0, 'some mutations still decode');
      });
    });
  }
});

describe('CBOR codec port', () => {
  it('a formats instance defaults to the built-in codec and runs on the one it was given', () => {
    assert.equal(createFormats().cbor, builtinCborCodec);
    const c = createCborXCodec();
    assert.equal(c.name, 'cbor-x');
    assert.equal(createFormats({ cbor: c }).cbor, c);
  });

  it('the built-in codec throws on bad input behind the interface (the contract SenML CBOR catches)', () => {
    assert.throws(() => builtinCborCodec.decode(hex('1c')), /reserved/);
    assert.throws(() => builtinCborCodec.encode(undefined), /cannot encode/);
  });
});

describe('CBOR (built-in): seeded fuzzing of the raw decoder', () => {
  it('20000 random and mutated inputs: a result value every time, bounded by the limits', () => {
    const rnd = prng(8949);
    const seeds: Uint8Array[] = APPENDIX_A.map(([, h]): Uint8Array => hex(h)).concat([
      hex(RFC8428_PACK),
      builtinCborCodec.encode(LWM2M_SECURITY),
    ]);
    let ok = 0;
    for (let k = 0; k < 20000; k++) {
      const b =
        k % 4 === 0
          ? Uint8Array.from({ length: 1 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))
          : mutate(seeds[k % seeds.length], rnd);
      const r = decodeCbor(b); // throws would fail the test
      if (r.ok) {
        ok++;
        // Anything that decodes re-encodes (definite lengths) and decodes to the same value.
        const e = encodeCbor(r.value);
        assert.ok(e.ok, e.ok ? '' : e.error);
        const back = decodeCbor(e.value);
        assert.ok(back.ok);
        assert.deepEqual(back.value, r.value);
      } else {
        assert.ok(r.offset >= 0 && r.offset <= b.length, 'error offset inside the input');
      }
    }
    assert.ok(ok > 1000, `only ${ok} decoded`);
  });
});

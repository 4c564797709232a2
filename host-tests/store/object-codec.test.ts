import assert from 'node:assert/strict';
import { decodeInstance, encodeInstance, instanceKey, splitInstanceKey, OBJECT_CODEC_VERSION } from '../../firmware/store/object-codec';
import { crc16 } from '../../firmware/store/crc';
import type { InstanceResources, Value } from '../../firmware/store/object-codec';

/** Exact equality: same JS type, Object.is for numbers (NaN, -0), bytes compared, Map order kept. */
function same(a: unknown, b: unknown): boolean {
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    const ea = [...a],
      eb = [...b];
    return ea.every(([k, v], i) => k === eb[i][0] && same(v, eb[i][1]));
  }
  if (typeof a !== typeof b) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const x = a as { objectId: number; instanceId: number },
      y = b as { objectId: number; instanceId: number };
    return x.objectId === y.objectId && x.instanceId === y.instanceId && Object.keys(y).length === 2;
  }
  return Object.is(a, b);
}

function roundTrip(r: InstanceResources): void {
  const d = decodeInstance(encodeInstance(r));
  assert.ok(d, 'decodes');
  assert.ok(same(r, d), `round trip of ${[...r.keys()]}`);
}

const EVERY_VALUE: Array<[string, Value]> = [
  ['null', null],
  ['false', false],
  ['true', true],
  ['zero', 0],
  ['small int', 42],
  ['negative int', -42],
  ['max safe', Number.MAX_SAFE_INTEGER],
  ['min safe', Number.MIN_SAFE_INTEGER],
  ['2^32', 2 ** 32],
  ['float', 3.141592653589793],
  ['negative float', -0.1],
  ['-0', -0],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['tiny', Number.MIN_VALUE],
  ['2^53 as float', 2 ** 53],
  ['bigint u64 max', (1n << 64n) - 1n],
  ['bigint i64 min', -(1n << 63n)],
  ['small bigint', 5n],
  ['zero bigint', 0n],
  ['bigint 2^53', 1n << 53n],
  ['empty string', ''],
  ['ascii', 'coaps://server.example:5684'],
  ['unicode', 'Zürich – 東京 😀'],
  ['empty opaque', new Uint8Array(0)],
  ['opaque', Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)],
  ['objlnk', { objectId: 1, instanceId: 0 }],
  ['objlnk max', { objectId: 65535, instanceId: 65535 }],
];

describe('store: object codec', () => {
  for (const [name, v] of EVERY_VALUE) {
    it(`round-trips ${name} exactly, as a single and as a multiple-instance resource`, () => {
      roundTrip(new Map([[5, v]]));
      roundTrip(
        new Map([
          [
            7,
            new Map([
              [0, v],
              [65535, v],
            ]),
          ],
        ]),
      );
    });
  }

  it('round-trips a whole Security instance, empty instances and empty multi-resources, keeping order', () => {
    roundTrip(new Map());
    roundTrip(new Map([[9, new Map()]]));
    roundTrip(
      new Map<number, Value | Map<number, Value>>([
        [10, 101],
        [0, 'coaps://lwm2m.example:5684'],
        [1, false],
        [2, 0],
        [3, new Uint8Array([1, 2, 3])],
        [5, new Uint8Array(16).fill(0xaa)],
        [11, 60],
        [
          6,
          new Map<number, Value>([
            [3, 1],
            [1, 2],
          ]),
        ],
        [65535, 1n << 60n],
      ]),
    );
  });

  it('keeps the JS type: a small bigint stays bigint, an integral float stays number', () => {
    const d = decodeInstance(
      encodeInstance(
        new Map<number, Value>([
          [0, 7n],
          [1, 7],
          [2, 7.5],
        ]),
      ),
    )!;
    assert.equal(typeof d.get(0), 'bigint');
    assert.equal(d.get(1), 7);
    assert.equal(d.get(2), 7.5);
  });

  it('is compact', () => {
    const b = encodeInstance(
      new Map<number, Value>([
        [0, 1],
        [1, true],
        [2, 'U'],
      ]),
    );
    assert.ok(b.length <= 14, `${b.length} bytes`);
    assert.equal(b[0], OBJECT_CODEC_VERSION);
  });

  it('detects damage: every single-byte change, every truncation, extension, wrong version → undefined', () => {
    const good = encodeInstance(
      new Map<number, Value | Map<number, Value>>([
        [0, 'coap://x'],
        [1, 3600],
        [2, -5],
        [3, 1.5],
        [4, 1n << 62n],
        [5, new Uint8Array([1, 2, 3])],
        [6, { objectId: 1, instanceId: 2 }],
        [7, null],
        [8, true],
        [9, new Map<number, Value>([[0, 1]])],
      ]),
    );
    for (let i = 0; i < good.length; i++) {
      for (const mask of [0x01, 0x10, 0x80, 0xff]) {
        const b = good.slice();
        b[i] ^= mask;
        assert.equal(decodeInstance(b), undefined, `byte ${i} ^ ${mask}`);
      }
    }
    for (let n = 0; n < good.length; n++) assert.equal(decodeInstance(good.subarray(0, n)), undefined, `truncated to ${n}`);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    assert.equal(decodeInstance(longer), undefined);
    assert.equal(decodeInstance('x' as unknown as Uint8Array), undefined);
    // Another codec version with a correct CRC: not this firmware's format.
    const v2 = good.slice();
    v2[0] = OBJECT_CODEC_VERSION + 1;
    const c = crc16(v2, 0, v2.length - 2);
    v2[v2.length - 2] = c >> 8;
    v2[v2.length - 1] = c & 0xff;
    assert.equal(decodeInstance(v2), undefined);
  });

  it('never throws on random bytes', () => {
    let seed = 1;
    for (let i = 0; i < 5000; i++) {
      const b = new Uint8Array(1 + (i % 60)).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      assert.doesNotThrow(() => decodeInstance(b));
    }
  });

  it('refuses non-model input when encoding', () => {
    assert.throws(() => encodeInstance(new Map([[-1, 1]])), RangeError);
    assert.throws(() => encodeInstance(new Map([[1.5, 1]])), RangeError);
    assert.throws(() => encodeInstance(new Map([[1, { objectId: 70000, instanceId: 0 }]])), RangeError);
    assert.throws(() => encodeInstance(new Map([[1, (() => 1) as unknown as Value]])), TypeError);
  });

  it('offers instance keys: objectId in the high 16 bits', () => {
    assert.equal(instanceKey(1, 2), 0x10002);
    assert.deepEqual(splitInstanceKey(instanceKey(65535, 65535)), { objectId: 65535, instanceId: 65535 });
    assert.throws(() => instanceKey(65536, 0), RangeError);
  });
});

// TLV encoding of records in any order: a Read hands them over in path order
// and they are written as they come; any other order (or empty instances and
// multiple resources to list) is grouped first, by first appearance. Both ways
// give the same bytes for the same grouping (Core §7.4.3: one TLV per
// instance, resource and resource instance, nested as the path is).
import { strict as assert } from 'node:assert';
import { ContentFormat, createFormats, type ResourceRecord } from '../../firmware/formats/index';
import type { Path, Value } from '../../firmware/model/index';
import { prng, toHex } from '../codec/helpers';

const rec = (instanceId: number, resourceId: number, value: Value, resourceInstanceId?: number): ResourceRecord => ({
  path: { objectId: 3, instanceId, resourceId, ...(resourceInstanceId === undefined ? {} : { resourceInstanceId }) },
  value,
});

/** /3/0 as a Read gathers it: single resources, two multiple ones. */
const DEVICE: ResourceRecord[] = [
  rec(0, 0, 'xs-lwm2m'),
  rec(0, 1, 'model'),
  rec(0, 2, 'S1'),
  rec(0, 3, '1.0'),
  rec(0, 6, 1, 0),
  rec(0, 6, 5, 1),
  rec(0, 7, 3300, 0),
  rec(0, 7, 5000, 1),
  rec(0, 9, 100),
  rec(0, 11, 0, 0),
  rec(0, 13, new Date(0).getTime() / 1000),
  rec(0, 16, 'U'),
];

function shuffled<T>(a: readonly T[], seed: number): T[] {
  const r = prng(seed);
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('TLV: record order', () => {
  const formats = createFormats();
  const encode = (base: Path, records: ResourceRecord[]) => {
    const r = formats.encode(ContentFormat.TLV, base, records);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    return toHex(r.value);
  };

  const sortKey = (r: ResourceRecord) => [r.path.instanceId!, r.path.resourceId!, r.path.resourceInstanceId ?? -1];
  const byPath = (a: ResourceRecord, b: ResourceRecord) => {
    const x = sortKey(a),
      y = sortKey(b);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  };

  it('records in path order give the same bytes written as they come and grouped first', () => {
    const base = { objectId: 3, instanceId: 0 };
    const streamed = encode(base, DEVICE);
    // Listing a multiple resource that is already there changes nothing but makes the encoder group first.
    const grouped = formats.encode(ContentFormat.TLV, base, DEVICE, { multipleResources: [{ objectId: 3, instanceId: 0, resourceId: 6 }] });
    assert.ok(grouped.ok);
    assert.equal(toHex(grouped.value), streamed);
    assert.equal(streamed.slice(0, 4), 'C800', 'resource 0 comes first');
  });

  it('records in any order decode back to the same records', () => {
    const base = { objectId: 3, instanceId: 0 };
    for (let seed = 1; seed <= 20; seed++) {
      const hex = encode(base, shuffled(DEVICE, seed));
      const back = formats.decode(ContentFormat.TLV, Uint8Array.from(Buffer.from(hex, 'hex')), base);
      assert.ok(back.ok);
      assert.deepEqual(
        [...back.value.records].sort(byPath).map((r) => [r.path, r.value]),
        DEVICE.map((r) => [r.path, r.value]),
        `seed ${seed}`,
      );
    }
  });

  it('an object with several instances, and an empty one asked for, is written instance by instance', () => {
    const recs = [...DEVICE, rec(1, 0, 'second'), rec(1, 6, 2, 0)];
    const opts = {
      instances: [
        { objectId: 3, instanceId: 0 },
        { objectId: 3, instanceId: 1 },
      ],
    };
    const streamed = formats.encode(ContentFormat.TLV, { objectId: 3 }, recs, opts);
    const grouped = formats.encode(ContentFormat.TLV, { objectId: 3 }, recs, {
      ...opts,
      multipleResources: [{ objectId: 3, instanceId: 1, resourceId: 6 }],
    });
    assert.ok(streamed.ok && grouped.ok);
    assert.equal(toHex(streamed.value), toHex(grouped.value));
    // Instance 2 has no readable resource: it is still listed (an empty object instance TLV, 00 02).
    const withEmpty = formats.encode(ContentFormat.TLV, { objectId: 3 }, recs, {
      instances: [...opts.instances, { objectId: 3, instanceId: 2 }],
    });
    assert.ok(withEmpty.ok);
    assert.ok(toHex(withEmpty.value).startsWith(toHex(streamed.value)));
    assert.ok(toHex(withEmpty.value).endsWith('0002'), toHex(withEmpty.value));
  });

  it('refuses several instances under an instance path, in order or not', () => {
    for (const recs of [
      [rec(0, 0, 'a'), rec(1, 0, 'b')],
      [rec(1, 0, 'b'), rec(0, 0, 'a')],
    ]) {
      const r = formats.encode(ContentFormat.TLV, { objectId: 3, instanceId: 0 }, recs);
      assert.equal(r.ok, false);
    }
  });
});

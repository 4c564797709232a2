// The Node random port draws from a pool of CSPRNG bytes: every length asked
// for is given, across the pool's refills and beyond its size, and no bytes
// are handed out twice.
import assert from 'node:assert/strict';
import { nodeRandom } from '../../firmware/platform/node';

describe('nodeRandom', () => {
  it('gives the lengths asked for, across pool refills and beyond the pool size', () => {
    for (const n of [0, 1, 2, 8, 32, 4095, 4096, 4097, 20000]) assert.equal(nodeRandom.bytes(n).length, n);
  });

  it('never repeats itself: 3,000 draws of 8 bytes (24,000 bytes, several refills) are all different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(Buffer.from(nodeRandom.bytes(8)).toString('hex'));
    assert.equal(seen.size, 3000);
  });

  it('float() is in [0, 1) and spread over it', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10000; i++) {
      const f = nodeRandom.float();
      assert.ok(f >= 0 && f < 1, String(f));
      buckets[Math.floor(f * 10)]++;
    }
    for (const b of buckets) assert.ok(b > 800 && b < 1200, `bucket of ${b} out of 10,000`);
  });
});

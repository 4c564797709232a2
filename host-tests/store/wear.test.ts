// Wear: 10 000 commits must spread the erases over every sector (the log
// rotates through the sectors in circular order, compaction included).

import assert from 'node:assert/strict';
import { RecordStore } from '../../firmware/store/record-store';
import { MemoryFlash } from '../support/memory-flash';
import { bootstrapResult, registrationUpdate, snapshot } from './helpers';

function spread(counts: number[]): { min: number; max: number; ratio: number } {
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return { min, max, ratio: max / min };
}

describe('store: wear levelling', function () {
  this.timeout(30_000);

  it('10 000 updates on top of a 2 KB bootstrap result spread erases evenly (default 16 KB partition)', () => {
    const mem = new MemoryFlash();
    let s = RecordStore.mount(mem);
    assert.ok(s.commit(bootstrapResult(0)).ok);
    for (let i = 0; i < 10_000; i++) {
      assert.ok(s.commit(registrationUpdate(i)).ok, `commit ${i}`);
      if (i % 2500 === 2499) s = RecordStore.mount(mem); // rotation continues across reboots
    }
    const w = spread(mem.eraseCounts);
    console.log(`      erases per sector: ${mem.eraseCounts.join(' ')}  max/min ${w.ratio.toFixed(2)}`);
    assert.ok(w.min > 0);
    assert.ok(w.ratio <= 2, `max/min ${w.ratio}`);
    const again = RecordStore.mount(mem);
    assert.deepEqual(snapshot(again), snapshot(s));
  });

  it('10 000 mixed updates spread erases on 2 and 8 sectors too', () => {
    for (const [sectors, blockSize] of [
      [2, 4096],
      [8, 2048],
    ]) {
      const mem = new MemoryFlash({ byteLength: sectors * blockSize, blockSize });
      const s = RecordStore.mount(mem);
      assert.ok(s.commit([{ key: 1, value: new Uint8Array(blockSize / 3) }]).ok); // static data that compaction carries along
      for (let i = 0; i < 10_000; i++) {
        const value = new Uint8Array(8 + (i % 50)).fill(i & 0xff);
        assert.ok(s.commit([{ key: 2 + (i % 6), value }]).ok, `commit ${i}`);
      }
      const w = spread(mem.eraseCounts);
      console.log(`      ${sectors} sectors: erases per sector ${mem.eraseCounts.join(' ')}  max/min ${w.ratio.toFixed(2)}`);
      assert.ok(w.min > 0 && w.ratio <= 2, `max/min ${w.ratio}`);
    }
  });
});

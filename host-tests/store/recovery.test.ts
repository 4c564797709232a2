// Recovery on mount: torn records and garbage are ignored, a CRC mismatch
// rejects the whole transaction. Rule for a damaged committed record: the
// record is ignored as a whole; each key it wrote shows the value of the
// newest earlier intact record (absent if it had no other copy); records
// after it are unaffected.

import assert from 'node:assert/strict';
import { RecordStore } from '../../firmware/store/record-store';
import { SECTOR_HEADER_SIZE, align, parseRecordHeader } from '../../firmware/store/layout';
import { FaultFlash, MemoryFlash, mulberry32 } from '../support/memory-flash';
import { capturingLogger, snapshot } from './helpers';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** [offset, size] of every well-formed record header in a sector, in order. */
function records(mem: MemoryFlash, sector: number): Array<[number, number]> {
  const base = sector * mem.blockSize;
  const buf = mem.read(base, mem.blockSize);
  const out: Array<[number, number]> = [];
  let off = SECTOR_HEADER_SIZE;
  for (;;) {
    const h = parseRecordHeader(buf, off, buf.length);
    if (!h) return out;
    out.push([base + off, h.size]);
    off = align(off + h.size);
  }
}

describe('store: recovery', () => {
  it('ignores a torn record at the end of the log and appends after it', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(50, 1) }]).ok);
    // Cut power 30 bytes into the next record: header whole, body torn.
    const torn = RecordStore.mount(new FaultFlash(mem, { cutAtByte: 30 }));
    const r = torn.commit([
      { key: 1, value: bytes(50, 2) },
      { key: 2, value: bytes(50, 2) },
    ]);
    assert.equal(!r.ok && r.error, 'flash');
    const log = capturingLogger();
    const again = RecordStore.mount(mem, { log });
    assert.equal(again.stats.tornRecords, 1);
    assert.deepEqual(again.get(1), bytes(50, 1));
    assert.equal(again.get(2), undefined);
    assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('torn')));
    assert.ok(again.commit([{ key: 3, value: bytes(20, 3) }]).ok);
    const third = RecordStore.mount(mem);
    assert.deepEqual(third.keys(), [1, 3]);
    assert.equal(third.stats.tornRecords, 1);
  });

  it('ignores a torn record header (a few bytes written) and garbage after the last record', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(10, 1) }]).ok);
    const [[off, size]] = records(mem, 0);
    const end = align(off + size);
    const rnd = mulberry32(9);
    mem.write(
      end,
      Uint8Array.from({ length: 5 }, () => Math.floor(rnd() * 255)),
    ); // torn header
    mem.write(
      end + 40,
      Uint8Array.from({ length: 100 }, () => Math.floor(rnd() * 255)),
    ); // garbage
    const damaged = mem.image.slice(end, end + 140);
    const again = RecordStore.mount(mem);
    assert.ok(again.stats.garbageBytes > 0);
    assert.deepEqual(snapshot(again), snapshot(s));
    assert.ok(again.commit([{ key: 2, value: bytes(10, 2) }]).ok);
    const third = RecordStore.mount(mem);
    assert.deepEqual(third.keys(), [1, 2]);
    assert.deepEqual(mem.image.slice(end, end + 140), damaged, 'the new record went after the garbage');
  });

  it('flipping any byte of a committed record rejects that transaction as a whole', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(
      s.commit([
        { key: 1, value: bytes(20, 0x11) },
        { key: 2, value: bytes(20, 0x22) },
      ]).ok,
    ); // A
    assert.ok(
      s.commit([
        { key: 1, value: bytes(20, 0x33) },
        { key: 3, value: bytes(20, 0x44) },
      ]).ok,
    ); // B
    assert.ok(s.commit([{ key: 4, value: bytes(20, 0x55) }]).ok); // C
    const [, [bOff, bSize]] = records(mem, 0);
    const pristine = mem.image.slice();
    for (let i = 0; i < bSize; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const img = pristine.slice();
        img[bOff + i] ^= mask;
        const st = RecordStore.mount(new MemoryFlash({ image: img }));
        const where = `byte ${i} of ${bSize}, mask ${mask}`;
        assert.deepEqual(st.get(1), bytes(20, 0x11), `${where}: key 1 falls back to the previous committed value`);
        assert.equal(st.get(3), undefined, `${where}: key 3 had a single copy and is absent`);
        assert.deepEqual(st.get(2), bytes(20, 0x22), `${where}: earlier record unaffected`);
        assert.deepEqual(st.get(4), bytes(20, 0x55), `${where}: later record unaffected`);
        assert.ok(st.stats.tornRecords + st.stats.garbageBytes > 0);
      }
    }
  });

  it('keeps working after a damaged record: new commits land and survive', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(20, 1) }]).ok);
    assert.ok(s.commit([{ key: 1, value: bytes(20, 2) }]).ok);
    const [, [off]] = records(mem, 0);
    mem.image[off + 20] ^= 0x10;
    const st = RecordStore.mount(mem);
    assert.deepEqual(st.get(1), bytes(20, 1));
    for (let i = 0; i < 200; i++) assert.ok(st.commit([{ key: 1 + (i % 3), value: bytes(40, i) }]).ok);
    const again = RecordStore.mount(mem);
    assert.deepEqual(snapshot(again), snapshot(st));
  });

  it('a damaged sector header drops that sector only; the store mounts and keeps working', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(3000, 1) }]).ok); // sector 0
    assert.ok(s.commit([{ key: 2, value: bytes(3000, 2) }]).ok); // sector 1
    mem.image[4096 + 9] ^= 0x04; // sector 1 header
    const st = RecordStore.mount(mem);
    assert.deepEqual(st.keys(), [1]);
    assert.ok(st.commit([{ key: 2, value: bytes(3000, 3) }]).ok);
    assert.ok(st.commit([{ key: 3, value: bytes(3000, 4) }]).ok);
    assert.deepEqual(RecordStore.mount(mem).keys(), [1, 2, 3]);
  });

  it('does not use a free sector holding garbage until it has erased it', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(100, 1) }]).ok);
    mem.write(4096 + 1000, bytes(200, 0x0f)); // junk in the next free sector
    const st = RecordStore.mount(mem);
    for (let i = 0; i < 150; i++) assert.ok(st.commit([{ key: 2, value: bytes(60, i) }]).ok);
    assert.equal(mem.eraseCounts[1], 1, 'sector 1 was erased before it was opened');
    const again = RecordStore.mount(mem);
    assert.deepEqual(snapshot(again), snapshot(st));
    assert.equal(again.stats.tornRecords, 0);
    assert.equal(again.stats.garbageBytes, 0);
  });

  it('after a flash error the store rescans before the next commit', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(10, 1) }]).ok);
    let fail = true;
    const flaky = {
      blockSize: mem.blockSize,
      byteLength: mem.byteLength,
      erase: (n: number) => mem.erase(n),
      read: (o: number, l: number) => mem.read(o, l),
      write: (o: number, d: Uint8Array) => {
        if (fail) {
          fail = false;
          mem.write(o, d.subarray(0, 7));
          throw new Error('SPI timeout');
        }
        mem.write(o, d);
      },
    };
    const st = RecordStore.mount(flaky);
    const r = st.commit([{ key: 2, value: bytes(10, 2) }]);
    assert.deepEqual(r, { ok: false, error: 'flash', detail: 'SPI timeout' });
    assert.equal(st.get(2), undefined);
    assert.ok(st.commit([{ key: 3, value: bytes(10, 3) }]).ok);
    assert.deepEqual(RecordStore.mount(mem).keys(), [1, 3]);
  });
});

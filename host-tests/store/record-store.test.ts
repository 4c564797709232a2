import assert from 'node:assert/strict';
import { FORMAT_VERSION, RecordStore } from '../../firmware/store/record-store';
import type { Change } from '../../firmware/store/record-store';
import { encodeSectorHeader, parseSectorHeader } from '../../firmware/store/layout';
import { MemoryFlash, mulberry32 } from '../support/memory-flash';
import { capturingLogger, hex, snapshot } from './helpers';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('store: RecordStore basics', () => {
  it('formats a blank partition without erasing and starts empty', () => {
    const mem = new MemoryFlash();
    const log = capturingLogger();
    const s = RecordStore.mount(mem, { log });
    assert.deepEqual(s.keys(), []);
    assert.equal(s.stats.formats, 1);
    assert.equal(s.stats.erases, 0);
    assert.equal(s.stats.bytesWritten, 16); // one sector header
    assert.ok(log.lines.some((l) => l.includes('formatting')));
  });

  it('commits, reads, deletes, and keeps everything across a remount', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.deepEqual(
      s.commit([
        { key: 1, value: bytes(10, 1) },
        { key: 0xffffffff, value: bytes(3, 9) },
        { key: 7, value: new Uint8Array(0) },
      ]),
      { ok: true },
    );
    assert.deepEqual(
      s.commit([
        { key: 1, value: bytes(5, 2) },
        { key: 0xffffffff, value: null },
      ]),
      { ok: true },
    );
    assert.deepEqual(s.keys(), [1, 7]);
    assert.deepEqual(s.get(1), bytes(5, 2));
    assert.deepEqual(s.get(7), new Uint8Array(0));
    assert.equal(s.get(0xffffffff), undefined);
    assert.equal(s.get(2), undefined);
    const again = RecordStore.mount(mem);
    assert.deepEqual(snapshot(again), snapshot(s));
    assert.equal(again.stats.formats, 0);
    assert.equal(again.stats.tornRecords, 0);
  });

  it('takes the last change of a key given twice, and writes nothing for a commit that changes nothing', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(
      s.commit([
        { key: 3, value: bytes(4, 1) },
        { key: 3, value: bytes(4, 2) },
      ]).ok,
    );
    assert.deepEqual(s.get(3), bytes(4, 2));
    const written = mem.bytesWritten;
    assert.ok(
      s.commit([
        { key: 3, value: bytes(4, 2) },
        { key: 99, value: null },
      ]).ok,
    );
    assert.ok(s.commit([]).ok);
    assert.equal(mem.bytesWritten, written);
  });

  it('rejects keys that are not uint32 and values that are not bytes, changing nothing', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(1, 1) }]).ok);
    const before = mem.image.slice();
    for (const key of [-1, 1.5, 2 ** 32, NaN]) {
      const r = s.commit([
        { key: 2, value: bytes(1, 2) },
        { key, value: bytes(1, 1) },
      ]);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error, 'invalid');
    }
    const r = s.commit([{ key: 2, value: 'text' as unknown as Uint8Array }]);
    assert.equal(!r.ok && r.error, 'invalid');
    assert.deepEqual(mem.image, before);
    assert.deepEqual(s.keys(), [1]);
  });

  it('answers too-large for a transaction beyond one sector or a value beyond 65534 bytes; state intact', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(100, 1) }]).ok);
    const before = mem.image.slice();
    const big: Change[] = [
      { key: 2, value: bytes(2000, 2) },
      { key: 3, value: bytes(2100, 3) },
    ];
    const r = s.commit(big);
    assert.equal(!r.ok && r.error, 'too-large');
    const r2 = s.commit([{ key: 4, value: bytes(70000, 4) }]);
    assert.equal(!r2.ok && r2.error, 'too-large');
    assert.deepEqual(mem.image, before, 'nothing written');
    assert.deepEqual(s.keys(), [1]);
    assert.equal(s.maxTransactionBytes, 4096 - 16 - 16);
    assert.ok(s.commit([{ key: 5, value: bytes(s.maxTransactionBytes - 6, 5) }]).ok, 'the largest transaction fits');
    assert.deepEqual(RecordStore.mount(mem).keys(), [1, 5]);
  });

  it('answers full when the live data cannot fit, leaving the old state intact; deleting makes room', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    let k = 0;
    let last: ReturnType<RecordStore['commit']> = { ok: true };
    let before = snapshot(s);
    while (last.ok) {
      before = snapshot(s);
      last = s.commit([{ key: k, value: bytes(1000, k & 0xff) }]);
      k++;
    }
    assert.equal(!last.ok && last.error, 'full');
    assert.equal(s.stats.full, 1);
    assert.deepEqual(snapshot(s), before);
    assert.deepEqual(snapshot(RecordStore.mount(mem)), before);
    assert.ok(before.length >= 10, `about three sectors of live data (${before.length} KB)`);
    assert.ok(
      s.commit([
        { key: 0, value: null },
        { key: 1, value: null },
      ]).ok,
    );
    assert.ok(s.commit([{ key: 1000, value: bytes(1000, 7) }]).ok);
    assert.deepEqual(snapshot(RecordStore.mount(mem)), snapshot(s));
  });

  it('answers full after a compaction cycle finds no sector with room; the state is unchanged', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    // Three 3000-byte values, one per sector: 9 KB live, yet no sector can also hold 2000 more bytes.
    for (let i = 0; i < 3; i++) assert.ok(s.commit([{ key: i, value: bytes(3000, i + 1) }]).ok);
    const before = snapshot(s);
    const r = s.commit([{ key: 10, value: bytes(2000, 0x10) }]);
    assert.equal(!r.ok && r.error, 'full');
    assert.ok(s.stats.compactions >= 2, 'it tried compaction first');
    assert.deepEqual(snapshot(s), before);
    assert.deepEqual(snapshot(RecordStore.mount(mem)), before);
    assert.ok(s.commit([{ key: 10, value: bytes(900, 0x10) }]).ok, 'a smaller one still fits');
  });

  it('throws a RangeError for a partition of fewer than two sectors', () => {
    assert.throws(() => RecordStore.mount(new MemoryFlash({ byteLength: 4096 })), RangeError);
  });

  it('stays consistent with a model under random commits and remounts, for 2, 3, 4 and 8 sectors', () => {
    for (const [sectors, blockSize] of [
      [2, 4096],
      [3, 4096],
      [4, 4096],
      [8, 1024],
    ]) {
      const rnd = mulberry32(sectors * 77);
      const mem = new MemoryFlash({ byteLength: sectors * blockSize, blockSize });
      let s = RecordStore.mount(mem);
      const model = new Map<number, string>();
      for (let i = 0; i < 1500; i++) {
        const changes: Change[] = [];
        const n = 1 + Math.floor(rnd() * 4);
        for (let j = 0; j < n; j++) {
          const key = Math.floor(rnd() * 24);
          const del = rnd() < 0.2;
          changes.push({ key, value: del ? null : bytes(Math.floor((rnd() * blockSize) / 12), Math.floor(rnd() * 256)) });
        }
        const r = s.commit(changes);
        if (r.ok) for (const c of changes) c.value ? model.set(c.key, hex(c.value)) : model.delete(c.key);
        else assert.ok(r.error === 'full' || r.error === 'too-large', r.error);
        if (rnd() < 0.05) s = RecordStore.mount(mem);
        if (i % 50 === 0)
          assert.deepEqual(
            snapshot(s),
            [...model].sort((a, b) => a[0] - b[0]),
            `${sectors} sectors, step ${i}`,
          );
      }
      assert.deepEqual(
        snapshot(RecordStore.mount(mem)),
        [...model].sort((a, b) => a[0] - b[0]),
      );
      assert.ok(
        mem.eraseCounts.every((c) => c > 0),
        `${sectors} sectors: every sector was compacted and erased (${mem.eraseCounts})`,
      );
    }
  });
});

describe('store: format version', () => {
  it('records the format version in every sector header of the log and reports it', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    for (let i = 0; i < 300; i++) assert.ok(s.commit([{ key: i % 7, value: bytes(40, i & 0xff) }]).ok);
    assert.equal(s.formatVersion, FORMAT_VERSION);
    assert.equal(FORMAT_VERSION, 1);
    let inLog = 0;
    for (let sec = 0; sec < 4; sec++) {
      const h = parseSectorHeader(mem.read(sec * 4096, 16));
      if (h) {
        inLog++;
        assert.equal(h.version, FORMAT_VERSION);
      }
    }
    assert.equal(inLog, 3, 'three sectors in the log, one kept erased');
  });

  it('formats a partition written by an unsupported format version, saying so in the log', () => {
    const mem = new MemoryFlash();
    mem.write(0, encodeSectorHeader(5, 2));
    mem.write(16, bytes(64, 0x12));
    const log = capturingLogger();
    const s = RecordStore.mount(mem, { log });
    assert.equal(s.stats.formats, 1);
    assert.deepEqual(s.keys(), []);
    assert.ok(
      log.lines.some((l) => l.startsWith('warn') && l.includes('format version 2')),
      log.lines.join('\n'),
    );
    assert.equal(parseSectorHeader(mem.read(0, 16))?.version, FORMAT_VERSION);
  });

  it('keeps the data when only a stray sector carries another version, and erases that sector before reuse', () => {
    const mem = new MemoryFlash();
    const s = RecordStore.mount(mem);
    assert.ok(s.commit([{ key: 1, value: bytes(8, 1) }]).ok);
    mem.write(2 * 4096, encodeSectorHeader(99, 7));
    const again = RecordStore.mount(mem);
    assert.deepEqual(again.get(1), bytes(8, 1));
    for (let i = 0; i < 400; i++) assert.ok(again.commit([{ key: 2, value: bytes(60, i & 0xff) }]).ok);
    assert.ok(mem.eraseCounts[2] >= 1);
    assert.deepEqual(RecordStore.mount(mem).get(1), bytes(8, 1));
  });

  it('formats a foreign partition (random bytes), erasing it', () => {
    const rnd = mulberry32(5);
    const img = new Uint8Array(16384).map(() => Math.floor(rnd() * 256));
    const mem = new MemoryFlash({ image: img });
    const s = RecordStore.mount(mem);
    assert.equal(s.stats.formats, 1);
    assert.equal(s.stats.erases, 4);
    assert.ok(s.commit([{ key: 1, value: bytes(3, 3) }]).ok);
    assert.deepEqual(RecordStore.mount(mem).keys(), [1]);
  });
});

// The flash doubles and the Node file-backed port obey NOR rules; FaultFlash
// cuts where it is told and then refuses everything.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFlash } from '../../firmware/platform/node/file-flash';
import { RecordStore } from '../../firmware/store/record-store';
import { crc32, crc16 } from '../../firmware/store/crc';
import { FaultFlash, MemoryFlash, PowerCut } from '../support/memory-flash';
import type { Flash } from '../../firmware/platform/ports';

function norRules(f: Flash): void {
  f.erase(1);
  assert.ok(f.read(4096, 4096).every((b) => b === 0xff));
  f.write(4096, Uint8Array.of(0xf0, 0x0f));
  f.write(4096, Uint8Array.of(0x3c, 0xff));
  assert.deepEqual(f.read(4096, 2), Uint8Array.of(0x30, 0x0f), 'a write only clears bits');
  f.erase(1);
  assert.deepEqual(f.read(4096, 2), Uint8Array.of(0xff, 0xff));
  assert.throws(() => f.read(f.byteLength - 1, 2), RangeError);
  assert.throws(() => f.write(-1, Uint8Array.of(0)), RangeError);
  assert.throws(() => f.erase(f.byteLength / f.blockSize), RangeError);
}

describe('store: flash ports and doubles', () => {
  it('CRC-32 and CRC-16 match the standard check values', () => {
    const check = Uint8Array.from('123456789', (c) => c.charCodeAt(0));
    assert.equal(crc32(check), 0xcbf43926);
    assert.equal(crc16(check), 0x29b1);
  });

  it('MemoryFlash follows NOR rules and counts erases per sector and bytes written', () => {
    const m = new MemoryFlash();
    norRules(m);
    assert.deepEqual(m.eraseCounts, [0, 2, 0, 0]);
    assert.equal(m.bytesWritten, 4);
  });

  it('FaultFlash cuts after the given byte (prefix written), optionally garbling the next, then refuses all', () => {
    const m = new MemoryFlash();
    const f = new FaultFlash(m, { cutAtByte: 5 });
    f.write(0, Uint8Array.of(1, 2, 3));
    assert.throws(() => f.write(10, Uint8Array.of(4, 5, 6, 7, 8)), PowerCut);
    assert.deepEqual(m.read(10, 5), Uint8Array.of(4, 5, 0xff, 0xff, 0xff));
    assert.ok(f.cut);
    assert.throws(() => f.read(0, 1), PowerCut);
    assert.throws(() => f.erase(0), PowerCut);
    assert.equal(f.bytesWritten, 5);
    const g = new FaultFlash(m, { cutAtByte: 1, garble: true, seed: 3 }); // reboot, then a garbled cut
    assert.throws(() => g.write(100, Uint8Array.of(0, 0, 0)), PowerCut);
    assert.equal(m.image[100], 0);
    assert.equal(m.image[102], 0xff);
  });

  it('FaultFlash cuts an erase leaving the sector partly erased or full of garbage', () => {
    const m = new MemoryFlash();
    m.write(0, new Uint8Array(4096));
    assert.throws(() => new FaultFlash(m, { cutAtErase: 0, eraseDamage: 'partial', seed: 2 }).erase(0), PowerCut);
    const part = m.read(0, 4096);
    assert.ok(part.some((b) => b === 0xff) && part.some((b) => b === 0), 'partly erased');
    assert.throws(() => new FaultFlash(m, { cutAtErase: 0, eraseDamage: 'garbage', seed: 2 }).erase(0), PowerCut);
    assert.ok(new Set(m.read(0, 4096)).size > 100, 'garbage');
    const ok = new FaultFlash(m, { cutAtErase: 1 });
    ok.erase(0);
    assert.deepEqual(ok.eraseCounts, [1, 0, 0, 0]);
    assert.ok(m.read(0, 4096).every((b) => b === 0xff));
  });

  describe('FileFlash (Node port)', () => {
    let dir = '';
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-flash-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('creates a 0xFF-filled file of the given size and follows NOR rules', () => {
      const f = new FileFlash(join(dir, 'p.bin'), { byteLength: 16384 });
      assert.equal(statSync(join(dir, 'p.bin')).size, 16384);
      assert.ok(f.read(0, 16384).every((b) => b === 0xff));
      norRules(f);
      f.close();
    });

    it('keeps a store across instances (a reboot of the host process)', () => {
      const path = join(dir, 'store.bin');
      const a = new FileFlash(path);
      const s = RecordStore.mount(a);
      for (let i = 0; i < 300; i++) assert.ok(s.commit([{ key: i % 5, value: new Uint8Array(30).fill(i & 0xff) }]).ok);
      a.close();
      const b = new FileFlash(path);
      const t = RecordStore.mount(b);
      assert.deepEqual(t.keys(), [0, 1, 2, 3, 4]);
      assert.deepEqual(t.get(4), new Uint8Array(30).fill(299 & 0xff));
      b.close();
    });

    it('refuses a file whose size is not a multiple of the block size', () => {
      const path = join(dir, 'odd.bin');
      writeFileSync(path, new Uint8Array(5000));
      assert.throws(() => new FileFlash(path), RangeError);
    });
  });
});

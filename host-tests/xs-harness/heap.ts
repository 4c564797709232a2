// The XS engine's own heap figures for benchmarks: live slots (xsnap's meter
// after gc()) and live chunk bytes, the size of the BLOC atom of a heap
// snapshot (xsSnapshot.c writes the chunks of live slots only; it is what
// fxUseSnapshot sets currentChunksSize to). xsnap reports no chunk figure otherwise.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { XsWorker } from './driver';

export interface HeapPoint {
  slots: number;
  chunkBytes: number;
}

/** Collects garbage, then reads the live heap; `dir` takes the snapshot file for a moment. */
export async function heapPoint(worker: XsWorker, dir: string): Promise<HeapPoint> {
  const slots = (await worker.evaluate('gc()')).meter.currentHeapCount;
  const path = join(dir, 'heap.xss');
  await worker.snapshot(path);
  const b = readFileSync(path);
  rmSync(path);
  // Atoms after the XS_M header: size (big-endian, header included), then the type.
  for (let o = 8; o + 8 <= b.length;) {
    const size = b.readUInt32BE(o);
    if (b.toString('latin1', o + 4, o + 8) === 'BLOC') return { slots, chunkBytes: size - 8 };
    if (size < 8) break;
    o += size;
  }
  throw new Error('xsnap snapshot: no BLOC atom');
}

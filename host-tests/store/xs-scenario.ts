// A deterministic store workload with no Node dependency, run both in V8 and
// inside XS (store-in-xs.test.ts): commits with compaction, power cuts at
// many points, remounts, object-codec round trips. Returns a JSON summary.

import { RecordStore } from '../../firmware/store/record-store';
import { decodeInstance, encodeInstance, instanceKey } from '../../firmware/store/object-codec';
import type { Value } from '../../firmware/store/object-codec';
import { FaultFlash, MemoryFlash, PowerCut } from '../support/memory-flash';
import { toHex as hex } from '../../firmware/util/hex';

function instance(gen: number): Map<number, Value | Map<number, Value>> {
  return new Map<number, Value | Map<number, Value>>([
    [0, `coaps://server-${gen}.example:5684`],
    [1, gen % 2 === 0],
    [2, -gen],
    [3, gen / 7],
    [4, (1n << 63n) + BigInt(gen)],
    [5, new Uint8Array(200 + (gen % 50)).fill(gen & 0xff)],
    [6, { objectId: 1, instanceId: gen % 5 }],
    [7, null],
    [
      8,
      new Map<number, Value>([
        [0, 'ü東😀'],
        [3, -0],
      ]),
    ],
  ]);
}

function show(v: unknown): unknown {
  if (v instanceof Map) return [...v].map(([k, x]) => [k, show(x)]);
  if (v instanceof Uint8Array) return `bytes:${hex(v)}`;
  if (typeof v === 'bigint') return `bigint:${v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? 'number:-0' : `number:${v}`;
  return v;
}

export function runScenario(): unknown {
  const mem = new MemoryFlash();
  let store = RecordStore.mount(mem);
  const log: unknown[] = [];
  for (let gen = 0; gen < 12; gen++) {
    const changes = [0, 1, 2, 3, 4, 5].map((i) => ({ key: instanceKey(i % 3, i), value: encodeInstance(instance(gen * 10 + i)) }));
    log.push(store.commit(changes).ok);
    for (let u = 0; u < 40; u++) store.commit([{ key: 0xfffe0001, value: encodeInstance(new Map<number, Value>([[0, gen * 100 + u]])) }]);
    // Power cut at a position that moves through the next commit.
    const ff = new FaultFlash(mem, { cutAtByte: (gen * 29) % 300, garble: true, seed: gen + 1 });
    try {
      const s = RecordStore.mount(ff);
      const r = s.commit([{ key: instanceKey(9, 9), value: encodeInstance(instance(1000 + gen)) }]);
      log.push(r.ok ? 'ok' : r.error);
    } catch (e) {
      log.push(e instanceof PowerCut ? 'cut' : String(e));
    }
    store = RecordStore.mount(mem);
    log.push(store.keys().length, store.stats.tornRecords);
  }
  const decoded = store
    .keys()
    .filter((k) => k !== 0xfffe0001)
    .map((k) => [k, show(decodeInstance(store.get(k)!))]);
  return {
    log,
    snapshot: store.keys().map((k) => [k, hex(store.get(k)!)]),
    decoded,
    eraseCounts: mem.eraseCounts,
    image: hex(mem.image),
  };
}

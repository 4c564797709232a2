// Record store figures: flash bytes written and erases per commit (steady
// state, compaction included), commit time (median, host CPU + flash
// emulation) and mount time, for a ~2 KB bootstrap result and a small
// registration update, on the default 16 KB partition (4 × 4 KB sectors);
// and the client's configuration commit (persistence.save) when nothing or
// one instance changed.
// Run: npm run bench store

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFlash } from '../../firmware/platform/node/file-flash';
import type { Flash } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import type { Change } from '../../firmware/store/record-store';
import { MemoryFlash } from '../support/memory-flash';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { silentLogger } from '../../firmware/platform/ports';
import { bootstrapResult, registrationUpdate, totalSize } from '../store/helpers';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Row {
  flash: string;
  commit: string;
  n: number;
  payload: number;
  bytes: number;
  erases: number;
  medianMs: number;
  maxMs: number;
}

function measure(flashName: string, make: () => Flash, label: string, n: number, changes: (i: number) => Change[]): Row {
  const flash = make();
  const store = RecordStore.mount(flash);
  store.commit(bootstrapResult(0)); // the device always holds a bootstrap result
  for (let i = 0; i < 200; i++) store.commit(registrationUpdate(1_000_000 + i)); // past the first compaction
  const b0 = store.stats.bytesWritten;
  const e0 = store.stats.erases;
  const times: number[] = [];
  let payload = 0;
  for (let i = 0; i < n; i++) {
    const c = changes(i + 1);
    payload = totalSize(c);
    const t = performance.now();
    const r = store.commit(c);
    times.push(performance.now() - t);
    if (!r.ok) throw new Error(`commit failed: ${r.error}`);
  }
  return {
    flash: flashName,
    commit: label,
    n,
    payload,
    bytes: (store.stats.bytesWritten - b0) / n,
    erases: (store.stats.erases - e0) / n,
    medianMs: median(times),
    maxMs: Math.max(...times),
  };
}

function mountTime(make: () => Flash): number {
  const flash = make();
  const s = RecordStore.mount(flash);
  s.commit(bootstrapResult(0));
  for (let i = 0; i < 150; i++) s.commit(registrationUpdate(i));
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    RecordStore.mount(flash);
    times.push(performance.now() - t);
  }
  return median(times);
}

/** A configuration as the client keeps it: a Bootstrap-Server Account and two PSK server accounts. */
function configuration(lifetime: number) {
  const psk = (n: number) => ({ identity: new Uint8Array(32).fill(n), key: new Uint8Array(16).fill(n) });
  return factoryTree({
    bootstrap: { uri: 'coaps://bootstrap.example.net:5684', psk: psk(1) },
    servers: [101, 102].map((ssid) => ({ uri: `coaps://lwm2m-${ssid}.example.net:5684`, ssid, lifetime, psk: psk(ssid) })),
  });
}

/** persistence.save of a configuration: unchanged (a bootstrap that rewrites the same), or one Lifetime changed. */
function measureSave(label: string, n: number, changed: boolean): Row {
  const flash = new MemoryFlash();
  const store = RecordStore.mount(flash);
  const p = storePersistence(store, silentLogger);
  p.save(configuration(300));
  const b0 = store.stats.bytesWritten;
  const e0 = store.stats.erases;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const tree = configuration(changed ? 300 + (i % 2 ? 0 : 1) : 300);
    const t = performance.now();
    if (!p.save(tree)) throw new Error('save failed');
    times.push(performance.now() - t);
  }
  return {
    flash: 'memory',
    commit: label,
    n,
    payload: 0,
    bytes: (store.stats.bytesWritten - b0) / n,
    erases: (store.stats.erases - e0) / n,
    medianMs: median(times),
    maxMs: Math.max(...times),
  };
}

async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-store-bench-'));
  const opened: FileFlash[] = [];
  const flashes: Array<[string, () => Flash]> = [
    ['memory', () => new MemoryFlash()],
    [
      'file',
      () => {
        const f = new FileFlash(join(dir, `p${opened.length}.bin`));
        opened.push(f);
        return f;
      },
    ],
  ];
  try {
    const rows: Row[] = [];
    for (const [name, make] of flashes) {
      rows.push(measure(name, make, 'bootstrap result', 200, (i) => bootstrapResult(i)));
      rows.push(measure(name, make, 'registration update', 3000, (i) => registrationUpdate(i)));
    }
    rows.push(measureSave('configuration, same', 2000, false));
    rows.push(measureSave('configuration, 1 inst', 2000, true));
    console.log('flash   commit                 commits  payload B  flash B/commit  erases/commit  median ms  max ms');
    for (const r of rows) {
      console.log(
        `${r.flash.padEnd(7)} ${r.commit.padEnd(22)} ${String(r.n).padStart(7)} ${String(r.payload).padStart(10)} ` +
          `${r.bytes.toFixed(0).padStart(15)} ${r.erases.toFixed(3).padStart(14)} ${r.medianMs.toFixed(3).padStart(10)} ${r.maxMs.toFixed(2).padStart(7)}`,
      );
    }
    for (const [name, make] of flashes) {
      console.log(`mount of a used 16 KB partition (${name}): median ${mountTime(make).toFixed(3)} ms`);
    }
  } finally {
    for (const f of opened) f.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

let running: Promise<void> | undefined;
/** The bench runner either imports this file (it runs once) or calls the default export. */
export default function run(): Promise<void> {
  running ??= bench();
  return running;
}
await run();

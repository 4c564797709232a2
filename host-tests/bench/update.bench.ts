// Firmware Update figures (npm run bench update):
//  1. download throughput of a pull on loopback: the same 256 KiB host image
//     served by our LwM2M Server (coap://…/fw/<name>, Block2), fetched at
//     block sizes 512 and 1024 by our client's downloader (a whole Firmware
//     Update pull, Write of Package URI → State Downloaded, into the Node file
//     slot) and by libcoap's coap-client-notls (-b 512 / -b 1024), side by side;
//  2. the XS heap of an update: the client core in the real XS engine (xsnap),
//     slots and chunk bytes before, during and after a 256 KiB push through a
//     memory slot.
// Benches print figures; no test depends on them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { ContentFormat } from '../../firmware/formats';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { heapPoint, type HeapPoint } from '../xs-harness/heap';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { fileURLToPath } from 'node:url';
import { testImage } from '../update/support/images';

const IMAGE_BYTES = 256 * 1024;
const RUNS = 8;
/** Untimed pulls first: V8 optimises the client's hot path over the first few hundred blocks. */
const WARMUP = 4;
const CLIENT_SCRIPT = fileURLToPath(new URL('../update/support/bench-client.ts', import.meta.url));

function table(rows: string[][], left = 1): void {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows)
    console.log(
      r
        .map((s, c) => (c < left ? (s ?? '').padEnd(w[c]) : (s ?? '').padStart(w[c])))
        .join('  ')
        .trimEnd(),
    );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kibps = (bytes: number, ms: number): string => (ms > 0 ? (bytes / 1024 / (ms / 1000)).toFixed(0) : '—');

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export interface Row {
  who: string;
  block: number;
  ms: number[];
  note?: string;
}

/** libcoap's coap-client-notls fetching `uri` whole at `block` bytes per block (wall time of the process, less its start-up). */
async function libcoapFetch(uri: string, tinyUri: string, block: number, dir: string): Promise<Row> {
  const out = join(dir, `libcoap-${block}.bin`);
  // Asynchronously: the server answering it runs in this process.
  const run = (u: string, o: string) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn('coap-client-notls', ['-m', 'get', '-b', String(block), '-B', '30', '-o', o, u], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        const ms = performance.now() - t0;
        if (code !== 0) reject(new Error(`coap-client-notls exited ${code}: ${err}`));
        else resolve(ms);
      });
    });
  // Start-up and one exchange: a one-block file fetched the same way.
  const startup: number[] = [];
  for (let i = 0; i < RUNS; i++) startup.push(await run(tinyUri, join(dir, 'tiny.bin')));
  const base = median(startup);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    rmSync(out, { force: true });
    const t = await run(uri, out);
    if (statSync(out).size !== IMAGE_BYTES)
      throw new Error(`coap-client-notls -b ${block} fetched ${statSync(out).size} bytes, not ${IMAGE_BYTES}`);
    ms.push(t - base);
  }
  return { who: 'libcoap coap-client-notls 4.3', block, ms, note: `process start-up + one exchange (${base.toFixed(1)} ms) taken off` };
}

async function throughput(): Promise<void> {
  const image = testImage('9.9.9', IMAGE_BYTES);
  const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
  const server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-update-bench-'));
  const rows: Row[] = [];
  try {
    const uri = await server.serveFile('bench.img', image);
    const tinyUri = await server.serveFile('tiny.bin', new Uint8Array(16));
    for (const block of [512, 1024]) rows.push(...(await oursPull(server, image, block, dir)));
    if (!hasBinary('coap-client-notls')) {
      console.log('libcoap side: skipped (coap-client-notls not found; apt-get install libcoap3-bin)');
    } else {
      for (const block of [512, 1024]) rows.push(await libcoapFetch(uri, tinyUri, block, dir));
      if (readFileSync(join(dir, 'libcoap-1024.bin')).compare(image) !== 0) throw new Error('libcoap fetched other bytes');
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\nPull of a ${IMAGE_BYTES / 1024} KiB image from our LwM2M Server (loopback, CON, one block in flight; ${RUNS} runs each, ours after ${WARMUP} untimed)`,
  );
  const out = [['fetcher', 'block B', 'ms p50', 'KiB/s p50', 'ms best', 'KiB/s best', 'note']];
  for (const r of rows) {
    const best = Math.min(...r.ms);
    out.push([
      r.who,
      String(r.block),
      median(r.ms).toFixed(1),
      kibps(IMAGE_BYTES, median(r.ms)),
      best.toFixed(1),
      kibps(IMAGE_BYTES, best),
      r.note ?? '',
    ]);
  }
  table(out, 1);
}

/**
 * Our client's downloader: a Node client (host/runtime.ts, file-backed slot, its own process)
 * pulls the image from the same server, one Block2 block in flight, SHA-256 checked, the slot fsynced at the
 * end. Timed from the Write of Package URI to the notification of State Downloaded; an empty
 * Package URI then returns it to Idle for the next run (no restart).
 */
async function oursPull(server: LwM2MServer, image: Uint8Array, block: number, dir: string): Promise<Row[]> {
  const ep = `bench-${block}`;
  const registered = new Promise<void>((resolve) => {
    const l = (e: ServerEvent) => {
      if (e.type === 'registered' && e.reg.endpoint === ep) {
        server.listeners.delete(l);
        resolve();
      }
    };
    server.listeners.add(l);
  });
  // In a process of its own, as libcoap's client is: the server here does not share its event loop.
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      '--import',
      'tsx',
      CLIENT_SCRIPT,
      `coap://127.0.0.1:${serverPort(server)}`,
      ep,
      block === 512 ? '5' : '6',
      join(dir, ep),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await Promise.race([
      registered,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the bench client did not register')), 30_000)),
    ]);
    await new Promise((r) => setTimeout(r, 50));
    const uri = await server.serveFile(`bench-${block}.img`, image, ep);
    let state = -1;
    let wake = () => {};
    const obs = await server.observe(ep, '/5/0/3', (r) => {
      state = Number(r.records?.[0]?.value);
      wake();
    });
    const stateIs = (n: number, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`State ${state}, not ${n}, after ${ms} ms`)), ms);
        wake = () => {
          if (state === n) {
            clearTimeout(t);
            resolve();
          }
        };
        wake();
      });
    const ms: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      const w = await server.write(ep, '/5/0/1', uri);
      if (w.code !== '2.04') throw new Error(`Write of Package URI: ${w.code}`);
      await stateIs(2, 60_000);
      if (i >= WARMUP) ms.push(performance.now() - t0);
      await server.write(ep, '/5/0/1', '');
      await stateIs(0, 10_000);
    }
    await obs.cancel();
    return [
      { who: 'ours (client downloader, Node)', block, ms, note: 'Write of Package URI → Downloaded notified: file slot, SHA-256, fsync' },
    ];
  } finally {
    // SIGTERM: the client exits cleanly, so BENCH_CPU_PROF=<dir> gets its profile written.
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

function serverPort(server: LwM2MServer): number {
  return (server as unknown as { o: { transport: { port: number } } }).o.transport.port;
}

// ---------------------------------------------------------------- 2. XS heap of an update

async function xsHeap(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-update-xs-'));
  const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
  const server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  const host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/update.ts', { minify: true })).code });
  const rows = [
    [
      'XS heap, Firmware Update push (xsnap, after gc)',
      'slots',
      'x16 B (ESP32 slot)',
      'chunk B (xsnap)',
      'Δ slots',
      'Δ chunk B',
      'dedup entries',
    ],
  ];
  let base: HeapPoint | null = null;
  const row = async (label: string, p: HeapPoint) => {
    const t = await host.callJson<{ dedup: number }>('tables');
    rows.push([
      label,
      String(p.slots),
      String(p.slots * 16),
      String(p.chunkBytes),
      base ? String(p.slots - base.slots) : '',
      base ? String(p.chunkBytes - base.chunkBytes) : '',
      String(t.dedup),
    ]);
  };
  try {
    const registered = host.waitEvent('registered', 20_000);
    await host.callJson('start', { endpointName: 'xs-fota', serverUri: `coap://127.0.0.1:${udp.port}`, capacity: 1 << 20 });
    await registered;
    await new Promise((r) => setTimeout(r, 50));
    await row('registered, State Idle', await heapPoint(host.worker, dir));
    // Any traffic fills this server's share of the client's deduplication cache (64 of 128 entries);
    // fill it first, so what the push adds is the update's own.
    for (let i = 0; i < 70; i++) await server.read('xs-fota', '/5/0/3');
    base = await heapPoint(host.worker, dir);
    await row('after 70 Reads: dedup share full (before)', base);
    // The push goes on while the heap is sampled between its datagrams; each sample is a gc and a snapshot.
    const image = testImage('2.0.0', IMAGE_BYTES);
    let done = false;
    const push = server.write('xs-fota', '/5/0/0', image, { format: ContentFormat.OPAQUE }).finally(() => {
      done = true;
    });
    const samples: HeapPoint[] = [];
    while (!done) samples.push(await heapPoint(host.worker, dir));
    const res = await push;
    if (res.code !== '2.04') throw new Error(`push answered ${res.code} ${res.text ?? ''}`);
    const slot = await host.callJson<{ written: number; largestWrite: number }>('slot');
    if (slot.written !== IMAGE_BYTES) throw new Error(`the slot got ${slot.written} bytes`);
    const peak = { slots: Math.max(...samples.map((p) => p.slots)), chunkBytes: Math.max(...samples.map((p) => p.chunkBytes)) };
    await row(`during the push (peak of ${samples.length} samples)`, peak);
    await row('Downloaded (after)', await heapPoint(host.worker, dir));
    await server.write('xs-fota', '/5/0/0', new Uint8Array(0), { format: ContentFormat.OPAQUE });
    await row('empty Package: Idle again', await heapPoint(host.worker, dir));
    console.log(
      `\n${IMAGE_BYTES / 1024} KiB pushed with Block1 (1024-byte blocks) to the client core in XS; the slot keeps no bytes (largest write ${slot.largestWrite} B)`,
    );
    table(rows);
    console.log("(slots are 32 B in 64-bit xsnap and 16 B on the ESP32; chunk bytes are xsnap's, whose headers and pointers are 64-bit;");
    console.log(
      ' each sample is a gc: between samples the engine may hold more garbage, which a device collects when its heap fills; Δ against "before")',
    );
  } finally {
    await host.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await throughput();
await xsHeap();

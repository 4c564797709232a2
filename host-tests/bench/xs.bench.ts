// The core in the real XS engine (xsnap) on the host: heap figures from
// xsnap's meter report along the LwM2M flow (bootstrap, register, Reads),
// firmware JavaScript bundle sizes, and XS-specific costs worth knowing.
// Run: npm run bench xs
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { openUdp, nodeRandom, nodeTimers } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { XsWorker, type MeterUsage } from '../xs-harness/driver';

const EP = 'xs-bench';

async function until(pred: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function table(rows: string[][]): void {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((s, c) => (c === 0 ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  '));
}

async function main(): Promise<void> {
  // Bundle sizes: what the device would carry as JavaScript (XS port instead of the Moddable one).
  const sizeRows = [['bundle (esbuild, es2022, IIFE)', 'bytes', 'minified bytes']];
  for (const [label, entry] of [
    ['LwM2M client + XS port + wasm2js TLV', 'host-tests/xs-harness/entries/flow.ts'],
    ['CoAP endpoint + codec + XS port', 'host-tests/xs-harness/entries/coap.ts'],
  ]) {
    const plain = await bundleForXs(entry);
    const min = await bundleForXs(entry, { minify: true });
    sizeRows.push([label, String(plain.bytes), String(min.bytes)]);
  }
  table(sizeRows);

  // Heap along the flow.
  const bsT = await openUdp({ address: '127.0.0.1', port: 0 });
  const srvT = await openUdp({ address: '127.0.0.1', port: 0 });
  const server = new LwM2MServer({ transport: srvT, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  const bs = new BootstrapServer({
    transport: bsT,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvT.port}`, ssid: 101, lifetime: 300 }] } } },
  });
  const host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/flow.ts', { minify: true })).code });
  const rows = [['XS heap (xsnap meter, after gc)', 'slots in use', 'x16 B (ESP32 slot)', 'compute units', 'xsnap reserved B']];
  const point = async (label: string, compute: number) => {
    const m: MeterUsage = (await host.worker.evaluate('gc()')).meter;
    rows.push([label, String(m.currentHeapCount), String(m.currentHeapCount * 16), String(compute), String(m.allocate)]);
  };
  const empty = new XsWorker();
  const base = (await empty.evaluate('gc()')).meter;
  await empty.close();
  rows.push(['empty engine (XS built-ins)', String(base.currentHeapCount), String(base.currentHeapCount * 16), '', String(base.allocate)]);
  try {
    await point('bundle loaded', 0);
    await host.callJson('start', { endpointName: EP, bsUri: `coap://127.0.0.1:${bsT.port}` });
    const started = host.meter?.compute ?? 0;
    await point('client started', started);
    await until(async () => (await host.callJson<{ state: string }>('state')).state === 'registered', 10000);
    await point('bootstrapped + registered', 0);
    for (const p of ['/3/0', '/1/0', '/0']) await server.read(EP, p);
    await point('after 3 Reads', 0);
    const stopped = host.waitEvent('stopped');
    await host.callJson('stop');
    await stopped;
    await point('de-registered, stopped', 0);
  } finally {
    await host.close();
    server.close();
    bs.close();
    bsT.close();
    srvT.close();
  }
  // compute is per turn; only the client start turn is shown (the rest is spread over many turns).
  for (const r of rows.slice(1)) if (r[3] === '0') r[3] = '';
  table(rows);
  console.log('(slots only: xsnap reports no chunk-heap use; "reserved" is xsnap\'s own creation size, not the device\'s)');

  // XS strings index in O(i) (UTF-8 storage), so charCodeAt/codePointAt loops and `+=` are quadratic there.
  const u = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/utf8-bench.ts')).code });
  try {
    const res = await u.callJson<Array<{ n: number; enc: number; dec: number }>>('utf8', [256, 1024, 4096, 16384]);
    table([
      ['core utf8 helpers in XS (host)', 'chars', 'utf8Encode ms', 'utf8Decode ms'],
      ...res.map((r) => ['', String(r.n), r.enc.toFixed(2), r.dec.toFixed(2)]),
    ]);
  } finally {
    await u.close();
  }
}

// The runner imports this file (it runs on import); a runner that also calls the default export gets the same run.
let ran: Promise<void> | undefined;
export default function xsBench(): Promise<void> {
  return (ran ??= main());
}
await xsBench();

// SenML CBOR throughput: the core's built-in CBOR codec (what the device runs) vs cbor-x (Node), on a
// 20-record pack — raw codec calls, and the whole content format (SenML CBOR 112 through a formats instance);
// plus the built-in codec inside the XS engine (xsnap on this host), the engine the device runs.
// Run: npm run bench cbor
import { builtinCborCodec } from '../../firmware/formats/cbor-codec';
import type { CborCodec } from '../../firmware/formats/cbor-codec';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';
import { createFormats, ContentFormat } from '../../firmware/formats/index';
import type { ResourceRecord } from '../../firmware/formats/index';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { toHex } from '../../firmware/util/hex';

const SENML_CBOR = ContentFormat.SENML_CBOR;
const base = { objectId: 3, instanceId: 0 };

// 20 records of the Device object: strings, integers (one beyond 2^32), multiple-resource instances.
const records: ResourceRecord[] = [
  ['Open Mobile Alliance', 0],
  ['Lightweight M2M Client', 1],
  ['345000123', 2],
  ['1.0', 3],
].map(([v, r]) => ({ path: { objectId: 3, instanceId: 0, resourceId: r as number }, value: v as string }));
for (let i = 0; i < 4; i++) records.push({ path: { objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: i }, value: i + 1 });
for (let i = 0; i < 4; i++)
  records.push({ path: { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: i }, value: 3800 + i * 100 });
for (let i = 0; i < 4; i++)
  records.push({ path: { objectId: 3, instanceId: 0, resourceId: 8, resourceInstanceId: i }, value: 125 * (i + 1) });
records.push(
  { path: { objectId: 3, instanceId: 0, resourceId: 9 }, value: 100 },
  { path: { objectId: 3, instanceId: 0, resourceId: 10 }, value: 15 },
  { path: { objectId: 3, instanceId: 0, resourceId: 13 }, value: 5_000_000_000 },
  { path: { objectId: 3, instanceId: 0, resourceId: 14 }, value: '+02:00' },
);

function measure(fn: () => unknown, minMs = 250): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

async function bench(): Promise<void> {
  if (records.length !== 20) throw new Error('the pack must have 20 records');
  const codecs: CborCodec[] = [builtinCborCodec, createCborXCodec()];
  const rows: string[][] = [['codec', 'level', 'bytes', 'encode ops/s', 'decode ops/s']];
  for (const codec of codecs) {
    const formats = createFormats({ cbor: codec });
    const e = formats.encode(SENML_CBOR, base, records);
    if (!e.ok) throw new Error(e.reason);
    const bytes = e.value;
    const value = codec.decode(bytes);
    rows.push([
      codec.name,
      'CBOR codec',
      String(bytes.length),
      fmt(measure(() => codec.encode(value))),
      fmt(measure(() => codec.decode(bytes))),
    ]);
    rows.push([
      codec.name,
      'SenML CBOR (112)',
      String(bytes.length),
      fmt(measure(() => formats.encode(SENML_CBOR, base, records))),
      fmt(measure(() => formats.decode(SENML_CBOR, bytes, base))),
    ]);
  }
  // XS: n calls inside one turn, timed from Node (includes one bridge round trip per batch).
  const host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/cbor.ts')).code });
  try {
    const payload = toHex(
      builtinCborCodec.encode(builtinCborCodec.decode((createFormats().encode(SENML_CBOR, base, records) as { value: Uint8Array }).value)),
    );
    const xsOps = async (what: 'decode' | 'encode') => {
      await host.callJson('loop', { payload, n: 200, what }); // warm-up
      const n = 2000;
      const t0 = performance.now();
      await host.callJson('loop', { payload, n, what });
      return (n * 1000) / (performance.now() - t0);
    };
    rows.push(['built-in in XS', 'CBOR codec', String(payload.length / 2), fmt(await xsOps('encode')), fmt(await xsOps('decode'))]);
  } finally {
    await host.close();
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log('SenML CBOR, 20-record Device pack (V8 = Node ' + process.version + '; XS = xsnap on this host)');
  for (const r of rows) console.log(r.map((x, c) => (c < 2 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  '));
}

let running: Promise<void> | undefined;
/** The bench runner either imports this file (it runs once) or calls the default export. */
export default function run(): Promise<void> {
  running ??= bench();
  return running;
}
await run();

// TLV encode/decode throughput: AssemblyScript wasm vs pure TypeScript vs npm lwm2m-codec, with a
// plain Uint8Array copy of the same bytes as the ceiling. Run: npm run bench (or: npm run bench tlv)
import { createRequire } from 'node:module';
import type { TlvBackend } from '../../firmware/codec/backend';
import { TlvTs } from '../../firmware/codec/tlv-ts';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { createFormats, ContentFormat, type ContentFormats } from '../../firmware/formats/index';
import type { ResourceRecord } from '../../firmware/formats/index';
import type { Path, Value } from '../../firmware/model/index';

const require = createRequire(import.meta.url);
const lwm2mCodec = require('lwm2m-codec') as {
  encode(f: string, p: string, v: unknown): Uint8Array;
  decode(f: string, p: string, b: Uint8Array): unknown;
};

const TLV = ContentFormat.TLV;
const rec = (o: number, i: number, r: number, ri: number | undefined, value: Value): ResourceRecord => ({
  path:
    ri === undefined
      ? { objectId: o, instanceId: i, resourceId: r }
      : { objectId: o, instanceId: i, resourceId: r, resourceInstanceId: ri },
  value,
});

// (a) the Core-spec Device instance (/3/0)
const device: ResourceRecord[] = [
  rec(3, 0, 0, undefined, 'Open Mobile Alliance'),
  rec(3, 0, 1, undefined, 'Lightweight M2M Client'),
  rec(3, 0, 2, undefined, '345000123'),
  rec(3, 0, 3, undefined, '1.0'),
  rec(3, 0, 6, 0, 1),
  rec(3, 0, 6, 1, 5),
  rec(3, 0, 7, 0, 3800),
  rec(3, 0, 7, 1, 5000),
  rec(3, 0, 8, 0, 125),
  rec(3, 0, 8, 1, 900),
  rec(3, 0, 9, undefined, 100),
  rec(3, 0, 10, undefined, 15),
  rec(3, 0, 11, 0, 0),
  rec(3, 0, 13, undefined, 1367491215),
  rec(3, 0, 14, undefined, '+02:00'),
  rec(3, 0, 16, undefined, 'U'),
];
const deviceLc = {
  0: 'Open Mobile Alliance',
  1: 'Lightweight M2M Client',
  2: '345000123',
  3: '1.0',
  6: { 0: 1, 1: 5 },
  7: { 0: 3800, 1: 5000 },
  8: { 0: 125, 1: 900 },
  9: 100,
  10: 15,
  11: { 0: 0 },
  13: 1367491215,
  14: '+02:00',
  16: 'U',
};

// (b) an object-level payload: 20 Server-object instances (/1), ~4 KB
const servers: ResourceRecord[] = [];
const serversLc: Record<number, Record<number, unknown>> = {};
for (let i = 0; i < 20; i++) {
  const ssid = 100 + i;
  servers.push(
    rec(1, i, 0, undefined, ssid),
    rec(1, i, 1, undefined, 86400),
    rec(1, i, 2, undefined, 1),
    rec(1, i, 3, undefined, 3600),
    rec(1, i, 5, undefined, 86400),
    rec(1, i, 6, undefined, true),
    rec(1, i, 7, undefined, 'UQ'),
    rec(1, i, 17, undefined, 5),
    rec(1, i, 18, undefined, 60),
    rec(1, i, 19, undefined, 86400),
    rec(1, i, 20, undefined, 1),
    rec(1, i, 22, undefined, `coap://lwm2m-${i}.example.com:5683/some/long/path/segment/to/make/the/payload/realistic/${'x'.repeat(80)}`),
    rec(1, i, 23, undefined, false),
  );
  serversLc[i] = { 0: ssid, 1: 86400, 2: 1, 3: 3600, 5: 86400, 7: 'UQ' }; // lwm2m-codec: no booleans/1.1 resources in its id table
}

function measure(fn: () => unknown, minMs = 250): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const rows: string[][] = [['payload', 'path', 'bytes', 'encode ops/s', 'encode MB/s', 'decode ops/s', 'decode MB/s']];
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const mbs = (ops: number, bytes: number) => ((ops * bytes) / 1e6).toFixed(1);

function run(label: string, base: Path, records: ResourceRecord[], lc: unknown, lcPath: string) {
  const backends: Array<[string, TlvBackend]> = [
    ['wasm (AssemblyScript)', loadTlvWasm()],
    ['pure TS', new TlvTs()],
  ];
  const formatsOf = new Map<TlvBackend, ContentFormats>(backends.map(([, be]) => [be, createFormats({ tlv: be })]));
  let bytes: Uint8Array = new Uint8Array(0);
  // Interleaved rounds, median per backend: the machine is shared, so one
  // long run per backend would compare different background loads.
  const ROUNDS = 7;
  const samples = new Map<string, { enc: number[]; dec: number[] }>(backends.map(([n]) => [n, { enc: [], dec: [] }]));
  for (const [, be] of backends) {
    const e = formatsOf.get(be)!.encode(TLV, base, records);
    if (!e.ok) throw new Error(e.reason);
    bytes = e.value;
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? backends : [...backends].reverse();
    for (const [name, be] of order) {
      const formats = formatsOf.get(be)!;
      samples.get(name)!.enc.push(measure(() => formats.encode(TLV, base, records), 80));
      samples.get(name)!.dec.push(measure(() => formats.decode(TLV, bytes, base), 80));
    }
  }
  for (const [name] of backends) {
    const enc = median(samples.get(name)!.enc);
    const dec = median(samples.get(name)!.dec);
    rows.push([label, name, String(bytes.length), fmt(enc), mbs(enc, bytes.length), fmt(dec), mbs(dec, bytes.length)]);
  }
  // Backend alone: structural + value pass, no JS record objects (shows the boundary cost).
  for (const [name, be] of backends) {
    const top = base.instanceId === undefined ? 1 : (1 << 3) | (1 << 2);
    const dec = measure(() => {
      const n = be.decode(bytes, top);
      be.decodeValues(n);
    });
    rows.push([label, `${name}: codec only`, String(bytes.length), '', '', fmt(dec), mbs(dec, bytes.length)]);
  }
  try {
    const lb = lwm2mCodec.encode('tlv', lcPath, lc);
    const enc = measure(() => lwm2mCodec.encode('tlv', lcPath, lc));
    const dec = measure(() => lwm2mCodec.decode('tlv', lcPath, lb));
    rows.push([label, 'npm lwm2m-codec (*)', String(lb.length), fmt(enc), mbs(enc, lb.length), fmt(dec), mbs(dec, lb.length)]);
  } catch (err) {
    rows.push([label, 'npm lwm2m-codec', 'n/a', String((err as Error).message).slice(0, 40), '', '', '']);
  }
  const cp = measure(() => bytes.slice());
  rows.push([label, 'Uint8Array copy (ceiling)', String(bytes.length), fmt(cp), mbs(cp, bytes.length), fmt(cp), mbs(cp, bytes.length)]);
}

run('(a) Device /3/0', { objectId: 3, instanceId: 0 }, device, deviceLc, '/3/0');
run('(b) 20 x Server /1', { objectId: 1 }, servers, serversLc, '/1');

const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((s, c) => s.padEnd(w[c])).join('  '));
console.log(
  '(*) lwm2m-codec: its own TLV of the same logical data. It is not spec TLV: multiple-resource integers and booleans become\n' +
    '    strings, /3/0 gets an object-instance wrapper, 1.1 resources (Server 17-23) are unknown to it and dropped, opaque/objlnk/\n' +
    '    float64/int64 are not handled; decode returns name-keyed objects with strings for those values.',
);

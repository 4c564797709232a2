// The firmware on the Moddable SDK's Linux runtime with the ESP32 board's
// creation limits, measured on device terms (needs MODDABLE; skipped without):
//  - the XS machine's peaks along bootstrap → register → 10 Reads → 60 s of
//    observation (pmin = pmax = 1) → Update: live slot and chunk heaps (a full
//    GC after every datagram the client sends, in the probe build of
//    host-tests/moddable/probe) and the stack (the instruments' per-second peaks);
//  - the time the client takes to serve a Read of /3/0 (TLV) and a
//    Bootstrap-Write of /1 (TLV), median of 200, measured inside the firmware
//    from the datagram's arrival to the answer's departure, beside the same
//    figure for the Node client (same transport wrapper, V8, wasm TLV);
//  - the same XS figures with the flow over coaps (DTLS 1.2 PSK, CCM_8): the
//    device bootstraps and registers through two DTLS handshakes and serves
//    every request through its session; the rows show the cost of a session
//    (live heaps, stack) beside the plain coap:// run;
//  - the ESP32 image: mc.xs.c of the esp32/nodemcu JavaScript half, slots
//    preloaded into flash, aliasable objects (RAM pointers);
//  - the example app on the library (examples/moddable-sensors, probe build
//    of probe/manifest-sensors.json): its live slot peak and stack peak along
//    bootstrap → register → Reads of its objects → Observe of the temperature
//    the app feeds every second → LED Writes → button presses → Create and
//    Delete of /19, each against the ESP32 limit and the 75 % budget
//    (exit status 1 over it). BENCH_MODDABLE=app runs only this part.
// Run: npm run bench moddable
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, decodeMessage, OptionNumber } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { nodeTlv } from '../../firmware/platform/node/formats';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';
import { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { toHex } from '../../firmware/util/hex';
import type { Peer } from '../../firmware/coap/api';
import { RecordStore } from '../../firmware/store/record-store';
import { utf8Decode } from '../../firmware/util/utf8';
import { BootstrapServer, accountRecords, type EndpointConfig } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { MemoryFlash } from '../support/memory-flash';
import { until } from '../moddable/flow';
import { LinFirmware, memoryPeaks, HOST_SLOT_BYTES } from '../moddable/lin-run';
import { ServeTimer, requestKind } from '../moddable/probe/serve-timer';
import { buildEsp32JsHalf, buildLin, findSdk, REPO, type Sdk } from '../moddable/sdk';
import { parsePath } from '../../firmware/model/path';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

const EP = 'xs-lwm2m-bench';
const REPEAT = 200;
const OBSERVE_SECONDS = Number(process.env.BENCH_OBSERVE_SECONDS ?? 60);
/** BENCH_MODDABLE=app: only the example app's run (the reference firmware's runs take minutes). */
const APP_ONLY = process.env.BENCH_MODDABLE === 'app';
const READ = 'GET /3/0';
const BOOTSTRAP_WRITE = 'PUT /1';

function table(rows: string[][]): void {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((s, c) => (c === 0 ? s.padEnd(w[c]!) : s.padStart(w[c]!))).join('  '));
}

const pct = (a: number, b: number) => `${Math.round((100 * a) / b)} %`;

function describe(data: Uint8Array): string | undefined {
  const d = decodeMessage(data);
  if (!d.ok) return undefined;
  return requestKind(
    d.message.code,
    d.message.options.filter((o) => o.number === OptionNumber.URI_PATH).map((o) => utf8Decode(o.value)),
  );
}

interface Servers {
  server: LwM2MServer;
  bs: BootstrapServer;
  bsUri: string;
  config: EndpointConfig;
  /** The client's address as the Bootstrap-Server saw it (for server-initiated writes). */
  clientPeer(): Peer;
  close(): void;
}

/** The device's PSKs over coaps: at the Bootstrap-Server (build arguments) and at the LwM2M Server (written by the Bootstrap-Server). */
const BS_PSK = { identity: 'bench-bs', key: Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i) };
const SRV_PSK = { identity: 'bench-srv', key: Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i) };

async function startServers(coaps = false): Promise<Servers> {
  const bsUdp = await openUdp({ address: '127.0.0.1', port: 0 });
  const srvUdp = await openUdp({ address: '127.0.0.1', port: 0 });
  const bsSecure = coaps ? await openUdp({ address: '127.0.0.1', port: 0 }) : undefined;
  const srvSecure = coaps ? await openUdp({ address: '127.0.0.1', port: 0 }) : undefined;
  const psk = new PskStore();
  if (coaps) psk.set(EP, SRV_PSK.identity, SRV_PSK.key);
  const server = new LwM2MServer({
    transport: srvUdp,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    psk,
    coaps: srvSecure ? { transport: srvSecure, crypto: nodeCrypto } : undefined,
  });
  const config: EndpointConfig = srvSecure
    ? {
        psk: { identity: BS_PSK.identity, keyHex: toHex(BS_PSK.key) },
        servers: [
          {
            uri: `coaps://127.0.0.1:${srvSecure.port}`,
            ssid: 101,
            lifetime: 300,
            securityMode: 'psk',
            pskIdentity: SRV_PSK.identity,
            pskKeyHex: toHex(SRV_PSK.key),
          },
        ],
      }
    : { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101, lifetime: 300 }] };
  let peer: Peer | undefined;
  const bs = new BootstrapServer({
    transport: bsUdp,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    coaps: bsSecure ? { transport: bsSecure, crypto: nodeCrypto } : undefined,
    config: { format: 'tlv', endpoints: { [EP]: config } },
    onEvent: (e) => {
      if (e.type === 'request') peer = e.peer;
    },
  });
  return {
    server,
    bs,
    config,
    bsUri: bsSecure ? `coaps://127.0.0.1:${bsSecure.port}` : `coap://127.0.0.1:${bsUdp.port}`,
    clientPeer: () => {
      if (!peer) throw new Error('no Bootstrap-Request seen');
      return peer;
    },
    close: () => {
      server.close();
      bs.close();
    },
  };
}

/** 200 Reads of /3/0, then 200 Bootstrap-Writes of /1 followed by a whole bootstrap sequence. */
async function timedRequests(s: Servers): Promise<void> {
  for (let i = 0; i < REPEAT; i++) {
    const r = await s.server.read(EP, '/3/0', ContentFormat.TLV);
    if (r.code !== '2.05') throw new Error(`Read /3/0: ${r.code}`);
  }
  const [, records] = accountRecords(s.config)[1]!;
  const enc = formats.encode(ContentFormat.TLV, { objectId: 1 }, records);
  if (!enc.ok) throw new Error(enc.reason);
  const peer = s.clientPeer();
  for (let i = 0; i < REPEAT; i++) {
    const res = await s.bs.endpoint.request(peer, { method: Code.PUT, path: ['1'], contentFormat: ContentFormat.TLV, payload: enc.value });
    if (res.code !== Code.CHANGED) throw new Error(`Bootstrap-Write /1: ${res.code}`);
  }
  // Close the server-initiated sequence the writes opened with a whole, consistent one.
  if (!(await s.bs.provision(peer, EP))) throw new Error('bootstrap sequence after the timed writes failed');
  await until(() => s.server.clients.has(EP), 10_000, 're-registration');
}

async function registered(s: Servers): Promise<void> {
  await until(() => s.server.clients.has(EP), 30_000, 'registration');
}

interface LinRun {
  peaks: ReturnType<typeof memoryPeaks>;
  /** The instruments' peaks up to the registration (over coaps: both DTLS handshakes, the bootstrap, Register). */
  registrationPeaks: ReturnType<typeof memoryPeaks>;
  live: { slotBytes: number; chunkBytes: number; samples: number; slotPeakAt: string };
  times: Record<string, { median: number; n: number }>;
  registeredAfterMs: number;
}

/**
 * The probe firmware on lin along bootstrap → register → 10 Reads → Observe → Update, then (coap:// only)
 * the timed requests. Over coaps the probe sits under DTLS and sees records, not requests: memory only.
 */
async function xsOnLin(sdk: Sdk, coaps = false): Promise<LinRun> {
  const s = await startServers(coaps);
  const flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-bench-'));
  const { so } = await buildLin(sdk, {
    name: coaps ? 'lin-probe-coaps' : 'lin-probe',
    mode: 'instrument',
    manifest: join(REPO, 'host-tests/moddable/probe/manifest.json'),
    config: {
      endpoint: EP,
      bootstrap: s.bsUri,
      flashDirectory: `${flashDir}/`,
      logLevel: 'info',
      ...(coaps ? { pskIdentity: BS_PSK.identity, pskKey: toHex(BS_PSK.key) } : {}),
    },
  });
  const fw = LinFirmware.start(sdk, so, coaps ? 'lin-probe (coaps)' : 'lin-probe');
  try {
    const started = Date.now();
    await registered(s);
    const registeredAfterMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1200)); // the instruments sample that closes the registration phase
    const registrationSamples = fw.instruments().length;
    for (let i = 0; i < 10; i++) await s.server.read(EP, '/3/0', ContentFormat.TLV);
    await s.server.writeAttributes(EP, '/3/0/13', { pmin: 1, pmax: 1 });
    let notes = 0;
    const obs = await s.server.observe(EP, '/3/0/13', () => {
      notes++;
    });
    await new Promise((r) => setTimeout(r, OBSERVE_SECONDS * 1000));
    await obs.cancel();
    if (notes < OBSERVE_SECONDS / 2) throw new Error(`only ${notes} notifications in ${OBSERVE_SECONDS} s`);
    await s.server.execute(EP, '/1/0/8');
    await new Promise((r) => setTimeout(r, 1500)); // the Update, then one more instruments sample
    // The probe answers plain CoAP on the firmware's port (below DTLS), from the server's plain socket.
    const peer = s.server.clients.get(EP)!.peer;
    const report = async () =>
      JSON.parse(
        utf8Decode(
          (await s.server.endpoint.request({ address: peer.address, port: peer.port }, { method: Code.GET, path: ['probe', 'report'] }))
            .payload,
        ),
      );
    const { live } = await report();
    console.log(`(${coaps ? 'coaps' : 'coap'}: live slot peak at a send while handling: ${live.slotPeakAt})`);
    const samples = fw.instruments();
    const peaks = memoryPeaks(samples);
    const registrationPeaks = memoryPeaks(samples.slice(0, registrationSamples));
    let times: LinRun['times'] = {};
    if (!coaps) {
      await s.server.endpoint.request(peer, { method: Code.POST, path: ['probe', 'timing'] });
      await timedRequests(s);
      ({ times } = await report());
    }
    const errors = fw.xsErrors();
    if (errors.length > 0) throw new Error(`XS reported: ${errors.join(' | ')}`);
    return { peaks, registrationPeaks, live, times, registeredAfterMs };
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n${fw.proc
        .grep(/^(?!instruments)/)
        .slice(-40)
        .join('\n')}`,
    );
  } finally {
    await fw.stop('SIGKILL');
    s.close();
    rmSync(flashDir, { recursive: true, force: true });
  }
}

/** The share of each ESP32 limit the example app may reach (the 75 % budget the reference firmware keeps too). */
const APP_BUDGET = 0.75;

interface AppRun {
  live: { slotBytes: number; chunkBytes: number; samples: number; slotPeakAt: string };
  peaks: ReturnType<typeof memoryPeaks>;
  steps: string[];
}

/** The example app's probe build along its objects' flow; memory only (the probe's timing mode stays off). */
async function sensorsOnLin(sdk: Sdk): Promise<AppRun> {
  const s = await startServers();
  const flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-bench-sensors-'));
  const { so } = await buildLin(sdk, {
    name: 'lin-probe-sensors',
    mode: 'instrument',
    manifest: join(REPO, 'host-tests/moddable/probe/manifest-sensors.json'),
    config: { endpoint: EP, bootstrap: s.bsUri, flashDirectory: `${flashDir}/`, logLevel: 'info', sampleSeconds: 1 },
  });
  const fw = LinFirmware.start(sdk, so, 'lin-probe (moddable-sensors)');
  const steps: string[] = [];
  const ok = (what: string, code: string, want: string) => {
    if (code !== want) throw new Error(`${what}: ${code}`);
    steps.push(what);
  };
  try {
    await registered(s);
    for (let i = 0; i < 10; i++) ok('Read /3303/0', (await s.server.read(EP, '/3303/0', ContentFormat.TLV)).code, '2.05');
    ok('Read /3347/0 SenML CBOR', (await s.server.read(EP, '/3347/0', ContentFormat.SENML_CBOR)).code, '2.05');
    ok('Discover /3303/0', (await s.server.discover(EP, '/3303/0')).code, '2.05');
    ok('Write-Attributes /3303/0/5700', (await s.server.writeAttributes(EP, '/3303/0/5700', { pmin: 1, pmax: 5, st: 0.4 })).code, '2.04');
    let notes = 0;
    const obs = await s.server.observe(EP, '/3303/0/5700', () => {
      notes++;
    });
    const seconds = Math.min(OBSERVE_SECONDS, 30);
    for (let i = 0; i < seconds; i++) {
      // Beside the notifications: an LED Write and a button press or release every second.
      ok('Write /3311/0/5850', (await s.server.write(EP, '/3311/0/5850', i % 2 === 0)).code, '2.04');
      writeFileSync(join(flashDir, 'xs-lwm2m-gpio0'), i % 2 === 0 ? '0' : '1');
      await new Promise((r) => setTimeout(r, 1000));
    }
    await obs.cancel();
    if (notes < seconds / 2) throw new Error(`only ${notes} notifications of the temperature in ${seconds} s`);
    steps.push(`${notes} notifications`);
    const path = (p: string) => parsePath(p)!;
    for (let i = 0; i < 4; i++) {
      const c = await s.server.create(EP, '/19', [{ path: path(`/19/${i}/0/0`), value: new Uint8Array(64).fill(i) }]);
      ok('Create /19', c.code, '2.01');
    }
    ok('Read /19', (await s.server.read(EP, '/19', ContentFormat.SENML_CBOR)).code, '2.05');
    for (let i = 0; i < 4; i++) ok('Delete /19/i', (await s.server.delete(EP, `/19/${i}`)).code, '2.02');
    await new Promise((r) => setTimeout(r, 1200)); // one more instruments sample
    const peer = s.server.clients.get(EP)!.peer;
    const { live } = JSON.parse(
      utf8Decode(
        (await s.server.endpoint.request({ address: peer.address, port: peer.port }, { method: Code.GET, path: ['probe', 'report'] }))
          .payload,
      ),
    );
    const errors = fw.xsErrors();
    if (errors.length > 0) throw new Error(`XS reported: ${errors.join(' | ')}`);
    return { live, peaks: memoryPeaks(fw.instruments()), steps };
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n${fw.proc
        .grep(/^(?!instruments)/)
        .slice(-40)
        .join('\n')}`,
    );
  } finally {
    await fw.stop('SIGKILL');
    s.close();
    rmSync(flashDir, { recursive: true, force: true });
  }
}

async function v8OnNode(): Promise<Record<string, { median: number; n: number }>> {
  const s = await startServers();
  const udp: UdpTransport = await openUdp({ address: '127.0.0.1', port: 0 });
  const timer = new ServeTimer(udp as DatagramTransport, { now: () => Number(process.hrtime.bigint() / 1000n), describe });
  const client = new LwM2MClient({
    endpointName: EP,
    transport: timer,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    wallClock: nodeWallClock,
    tlv: nodeTlv(),
    cbor: createCborXCodec(),
    factory: { bootstrap: { uri: s.bsUri } },
    persistence: storePersistence(
      RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }), { log: silentLogger }),
      silentLogger,
    ),
  });
  try {
    client.start();
    await registered(s);
    timer.samples.clear();
    await timedRequests(s);
    return timer.summary();
  } finally {
    await client.stop();
    udp.close();
    s.close();
  }
}

async function main(): Promise<void> {
  const sdk = findSdk();
  if ('missing' in sdk) {
    console.log(`skipped: ${sdk.missing}`);
    return;
  }
  if (!APP_ONLY) await reference(sdk);
  await exampleApp(sdk);
}

async function reference(sdk: Sdk): Promise<void> {
  const lin = await xsOnLin(sdk);
  const secure = await xsOnLin(sdk, true);
  const node = await v8OnNode();
  const p = lin.peaks;
  const q = secure.peaks;
  const slots = (bytes: number) => bytes / HOST_SLOT_BYTES;
  console.log(`Moddable SDK ${sdk.version}: the firmware on the Linux runtime, ESP32 board creation limits (instrumented release build)`);
  console.log(
    `XS machine along bootstrap → register → 10 Reads → ${OBSERVE_SECONDS} s Observe (pmin = pmax = 1) → Update, over coap:// and over coaps:// (DTLS PSK)`,
  );
  table([
    ['', 'coap://', 'coaps://', 'limit', 'coaps share'],
    [
      `slot heap, live after GC (${lin.live.samples} / ${secure.live.samples} samples)`,
      `${slots(lin.live.slotBytes)} slots`,
      `${slots(secure.live.slotBytes)} slots`,
      `${p.slotLimit} slots`,
      pct(slots(secure.live.slotBytes), q.slotLimit),
    ],
    ['slot heap, in use incl. garbage', `${p.slots} slots`, `${q.slots} slots`, `${p.slotLimit} slots`, pct(q.slots, q.slotLimit)],
    [
      'chunk heap, live after GC (64-bit host bytes)',
      `${lin.live.chunkBytes} B`,
      `${secure.live.chunkBytes} B`,
      `${p.chunkLimit} B`,
      pct(secure.live.chunkBytes, q.chunkLimit),
    ],
    ['stack', `${p.stack} slots`, `${q.stack} slots`, `${p.stackLimit} slots`, pct(q.stack, q.stackLimit)],
    [
      'stack, up to the registration (coaps: both handshakes)',
      `${lin.registrationPeaks.stack} slots`,
      `${secure.registrationPeaks.stack} slots`,
      `${p.stackLimit} slots`,
      pct(secure.registrationPeaks.stack, q.stackLimit),
    ],
    ['registered after start (lin Wi-Fi simulation included)', `${lin.registeredAfterMs} ms`, `${secure.registeredAfterMs} ms`, '', ''],
  ]);
  console.log(
    `modules loaded at run time: ${p.modulesLoaded} / ${q.modulesLoaded}; garbage collections: ${p.garbageCollections} / ${q.garbageCollections}`,
  );
  console.log(
    `coaps: a DTLS session costs the device about ${slots(secure.live.slotBytes - lin.live.slotBytes)} slots and ${secure.live.chunkBytes - lin.live.chunkBytes} B of chunk heap at the live peak (64-bit host bytes: an upper bound for the 32-bit device)`,
  );
  console.log('\ntime to serve a request inside the client, median µs (min–max)');
  const cell = (t: { median: number; min?: number; max?: number; n: number } | undefined) =>
    t ? `${Math.round(t.median)} (${Math.round(t.min ?? 0)}–${Math.round(t.max ?? 0)}, n=${t.n})` : '-';
  table([
    ['request', 'XS, lin runtime', 'V8, Node'],
    ['Read /3/0 (TLV)', cell(lin.times[READ]), cell(node[READ])],
    ['Bootstrap-Write /1 (TLV)', cell(lin.times[BOOTSTRAP_WRITE]), cell(node[BOOTSTRAP_WRITE])],
  ]);
  const esp = await buildEsp32JsHalf(sdk, 'nodemcu', { ssid: 'lab', password: 'secret' });
  const c = readFileSync(esp.mcXsC, 'utf8');
  const define = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(c)?.[1] ?? NaN);
  console.log(
    `\nESP32 image (esp32/nodemcu, JavaScript half): mc.xs.c ${esp.bytes} B; preloaded into flash: ${define('mxHeapCount')} slots ` +
      `(${define('mxHeapCount') * 16} B at 16 B a slot), ${define('mxKeysCount')} keys; aliasable in RAM: ${define('mxAliasCount')} pointers ` +
      `(${define('mxAliasCount') * 4} B)`,
  );
}

async function exampleApp(sdk: Sdk): Promise<void> {
  const slots = (bytes: number) => bytes / HOST_SLOT_BYTES;
  const app = await sensorsOnLin(sdk);
  const a = app.peaks;
  const within = (used: number, limit: number) =>
    used <= APP_BUDGET * limit ? `ok (≤ ${APP_BUDGET * 100} %)` : `OVER ${APP_BUDGET * 100} %`;
  console.log(
    `\nthe example app (examples/moddable-sensors: 3303, 3311, 3347, 19 on the library), same runtime and limits, instrumented release`,
  );
  console.log(
    `along bootstrap → register → 10 Reads of /3303/0, Discover → Observe /3303/0/5700 (pmin 1, pmax 5, st 0.4) for ${Math.min(OBSERVE_SECONDS, 30)} s with an LED Write and a button edge every second → Create 4 × /19 (64 B each), Read, Delete`,
  );
  table([
    ['', 'peak', 'limit', 'share', 'budget'],
    [
      `slot heap, live after GC (${app.live.samples} samples; peak at ${app.live.slotPeakAt})`,
      `${slots(app.live.slotBytes)} slots`,
      `${a.slotLimit} slots`,
      pct(slots(app.live.slotBytes), a.slotLimit),
      within(slots(app.live.slotBytes), a.slotLimit),
    ],
    [
      'chunk heap, live after GC (64-bit host bytes)',
      `${app.live.chunkBytes} B`,
      `${a.chunkLimit} B`,
      pct(app.live.chunkBytes, a.chunkLimit),
      within(app.live.chunkBytes, a.chunkLimit),
    ],
    ['stack', `${a.stack} slots`, `${a.stackLimit} slots`, pct(a.stack, a.stackLimit), within(a.stack, a.stackLimit)],
  ]);
  console.log(`modules loaded at run time: ${a.modulesLoaded}; garbage collections: ${a.garbageCollections}`);
  if (slots(app.live.slotBytes) > APP_BUDGET * a.slotLimit || a.stack > APP_BUDGET * a.stackLimit) process.exitCode = 1;
}

await main();

// Bootstrap + registration on real loopback UDP: wall time, datagrams and
// bytes per step, median of 20 runs.
import { decodeMessage } from '../../firmware/coap/message';
import { getUriPath } from '../../firmware/coap/options';
import { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { nodeRandom, nodeTimers, nodeWallClock, openUdp } from '../../firmware/platform/node';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { nodeTlv } from '../../firmware/platform/node/formats';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';

const RUNS = 20;
const STEPS = ['Bootstrap-Request', 'Delete /', 'Write /0', 'Write /1', 'Discover /', 'Finish', 'Register'] as const;
type Step = (typeof STEPS)[number];

function stepOf(data: Uint8Array): Step | undefined {
  const m = decodeMessage(data);
  if (!m.ok || m.message.code < 1 || m.message.code > 7) return undefined;
  const path = '/' + getUriPath(m.message).join('/');
  switch (m.message.code) {
    case 2:
      return path === '/bs'
        ? m.message.options.some((o) => o.number === 15)
          ? 'Bootstrap-Request'
          : 'Finish'
        : path === '/rd'
          ? 'Register'
          : undefined;
    case 3:
      return path === '/0' ? 'Write /0' : path === '/1' ? 'Write /1' : undefined;
    case 4:
      return path === '/' ? 'Delete /' : undefined;
    case 1:
      return path === '/' ? 'Discover /' : undefined;
    default:
      return undefined;
  }
}

interface Sample {
  ms: Map<Step, number>;
  datagrams: Map<Step, number>;
  bytes: Map<Step, number>;
  total: number;
}

async function once(): Promise<Sample> {
  const s: Sample = { ms: new Map(), datagrams: new Map(), bytes: new Map(), total: 0 };
  let current: Step | undefined;
  let stepStart = 0;
  let frozen = false;
  const tap = <T extends DatagramTransport>(t: T): T => {
    const send = t.send.bind(t);
    t.send = (data, address, port) => {
      if (frozen) {
        send(data, address, port);
        return;
      }
      const st = stepOf(data);
      const now = performance.now();
      if (st && st !== current) {
        if (current) s.ms.set(current, now - stepStart);
        current = st;
        stepStart = now;
      }
      if (current) {
        s.datagrams.set(current, (s.datagrams.get(current) ?? 0) + 1);
        s.bytes.set(current, (s.bytes.get(current) ?? 0) + data.length);
      }
      send(data, address, port);
    };
    return t;
  };
  const srvT = tap(await openUdp({ address: '127.0.0.1' }));
  const bsT = tap(await openUdp({ address: '127.0.0.1' }));
  const cT = tap(await openUdp({ address: '127.0.0.1' }));
  const server = new LwM2MServer({ transport: srvT, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  const bs = new BootstrapServer({
    transport: bsT,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    config: { format: 'tlv', endpoints: { bench: { servers: [{ uri: `coap://127.0.0.1:${srvT.port}`, ssid: 101, lifetime: 300 }] } } },
  });
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    const client = new LwM2MClient({
      endpointName: 'bench',
      transport: cT,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      wallClock: nodeWallClock,
      tlv: nodeTlv(),
      cbor: createCborXCodec(),
      factory: { bootstrap: { uri: `coap://127.0.0.1:${bsT.port}` } },
      onEvent: (e) => {
        if (e.type === 'registered') {
          // Let the 2.01's datagram be counted, then stop.
          setTimeout(async () => {
            s.total = performance.now() - t0;
            if (current) s.ms.set(current, performance.now() - stepStart);
            frozen = true; // the De-register is not part of the measurement
            await client.stop();
            resolve();
          }, 0);
        }
      },
    });
    client.start();
  });
  await done;
  server.close();
  bs.close();
  cT.close();
  return s;
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a[a.length >> 1];
};

export default async function run(): Promise<void> {
  await once(); // warm-up (JIT, wasm instantiation)
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await once());
  console.log(
    `bootstrap + registration on loopback UDP, median of ${RUNS} runs (xs-lwm2m client, Bootstrap-Server and LwM2M Server in one Node process)`,
  );
  console.log('step                 time ms  datagrams  bytes');
  for (const st of STEPS) {
    const ms = median(samples.map((x) => x.ms.get(st) ?? 0));
    const dg = median(samples.map((x) => x.datagrams.get(st) ?? 0));
    const by = median(samples.map((x) => x.bytes.get(st) ?? 0));
    console.log(`${st.padEnd(20)} ${ms.toFixed(2).padStart(7)}  ${String(dg).padStart(9)}  ${String(by).padStart(5)}`);
  }
  const dgs = samples.map((x) => [...x.datagrams.values()].reduce((a, b) => a + b, 0));
  const bys = samples.map((x) => [...x.bytes.values()].reduce((a, b) => a + b, 0));
  console.log(
    `${'total'.padEnd(20)} ${median(samples.map((x) => x.total))
      .toFixed(2)
      .padStart(7)}  ${String(median(dgs)).padStart(9)}  ${String(median(bys)).padStart(5)}`,
  );
}

await run();

// ------------------------------------------------------------------ peer
// The same flow measured at our servers (Bootstrap-Request received → Register
// received), for our client and for Eclipse Leshan's client, side by side.

interface PeerSample {
  ms: number;
  datagrams: number;
  bytes: number;
}

async function serverSideRun(startClient: (bsUri: string) => Promise<() => Promise<void>>): Promise<PeerSample> {
  let datagrams = 0;
  let bytes = 0;
  let tReq = 0;
  let tReg = 0;
  const count = <T extends DatagramTransport>(t: T): T => {
    const send = t.send.bind(t);
    t.send = (data, address, port) => {
      if (!tReg) {
        datagrams++;
        bytes += data.length;
      }
      send(data, address, port);
    };
    const wrapRx = () => {
      const rx = t.onReceive;
      t.onReceive = (data, address, port) => {
        if (!tReq && stepOf(data) === 'Bootstrap-Request') tReq = performance.now();
        if (!tReg && tReq) {
          datagrams++;
          bytes += data.length;
        }
        rx?.(data, address, port);
      };
    };
    queueMicrotask(wrapRx);
    return t;
  };
  const srvT = count(await openUdp({ address: '127.0.0.1' }));
  const bsT = count(await openUdp({ address: '127.0.0.1' }));
  let registered!: () => void;
  const done = new Promise<void>((r) => {
    registered = r;
  });
  const server = new LwM2MServer({
    transport: srvT,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    onEvent: (e) => {
      if (e.type === 'registered') {
        tReg = performance.now();
        registered();
      }
    },
  });
  const bs = new BootstrapServer({
    transport: bsT,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    config: { format: 'tlv', endpoints: { '*': { servers: [{ uri: `coap://127.0.0.1:${srvT.port}`, ssid: 101, lifetime: 300 }] } } },
  });
  await new Promise((r) => setTimeout(r, 0)); // let the rx taps wrap the handlers the endpoints installed
  const stop = await startClient(`coap://127.0.0.1:${bsT.port}`);
  const timeout = new Promise<void>((_, rej) => setTimeout(() => rej(new Error('no registration in 30 s')), 30_000));
  try {
    await Promise.race([done, timeout]);
  } finally {
    await stop();
    server.close();
    bs.close();
  }
  return { ms: tReg - tReq, datagrams, bytes };
}

async function ours(bsUri: string): Promise<() => Promise<void>> {
  const t = await openUdp({ address: '127.0.0.1' });
  const c = new LwM2MClient({
    endpointName: 'bench-xs',
    transport: t,
    timers: nodeTimers,
    random: nodeRandom,
    log: silentLogger,
    wallClock: nodeWallClock,
    factory: { bootstrap: { uri: bsUri } },
  });
  c.start();
  return async () => {
    await c.stop();
    t.close();
  };
}

async function peerTable(): Promise<void> {
  const xs: PeerSample[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await serverSideRun(ours));
  const rows: Array<[string, PeerSample[]]> = [['xs-lwm2m (Node)', xs]];
  let note = '';
  try {
    const h = await import('../interop/leshan/harness');
    h.checkJava();
    const { existsSync } = await import('node:fs');
    if (!existsSync(h.LESHAN_DIR)) throw new Error('Leshan not fetched (npm run interop:fetch)');
    const le: PeerSample[] = [];
    for (let i = 0; i < 5; i++) {
      le.push(
        await serverSideRun(async (bsUri) => {
          const c = await h.startLeshanClient({ endpoint: `bench-leshan-${i}`, uri: bsUri, bootstrap: true });
          return async () => {
            await c.proc.stop();
          };
        }),
      );
    }
    rows.push([`Leshan ${h.LESHAN_VERSION} client (JVM)`, le]);
    note = '(Leshan: median of 5 runs, JVM start excluded: the clock starts when its Bootstrap-Request arrives)';
  } catch (e) {
    note = `(no Leshan peer: ${(e as Error).message})`;
  }
  console.log('\nthe same flow measured at our Bootstrap-Server and LwM2M Server: Bootstrap-Request received → Register received');
  console.log('client                          time ms  datagrams  bytes');
  for (const [name, s] of rows) {
    console.log(
      `${name.padEnd(30)} ${median(s.map((x) => x.ms))
        .toFixed(2)
        .padStart(8)}  ${String(median(s.map((x) => x.datagrams))).padStart(9)}  ${String(median(s.map((x) => x.bytes))).padStart(5)}`,
    );
  }
  console.log(note);
}

await peerTable();

// The cost of one wake of a sleeping device: a queue-mode client
// that wakes for its Registration Update (and, in the second table, for a
// notification with pmax half its lifetime), deep-sleeping between wakes
// with its session in retained memory (each wake is a fresh client on the same
// store and retained memory, rig.deepSleep). Per wake, on the client's side of
// the in-memory network in virtual time: datagrams and bytes each way, and the
// time awake from the boot to radio-off (the listening window included). For
// coap, coaps with a DTLS Connection ID (the session kept: no handshake) and
// coaps with resumption (an abbreviated handshake); and, for comparison, coaps
// with no retained memory, where every wake registers again after a full
// handshake. `npm run bench sleep`.
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import type { ClientOptions } from '../../firmware/lwm2m/engine/client';
import { maxTransmitWait, resolveParams } from '../../firmware/coap/params';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { MemoryRetainedMemory } from '../../firmware/platform/node/retained-memory';
import { silentLogger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { ContentFormat } from '../../firmware/formats';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';

const WAKES = 10;

interface Variant {
  name: string;
  coaps: boolean;
  cid: boolean;
  retained: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'coap', coaps: false, cid: false, retained: true },
  { name: 'coaps + CID', coaps: true, cid: true, retained: true },
  { name: 'coaps + resumption', coaps: true, cid: false, retained: true },
  { name: 'coaps, nothing retained', coaps: true, cid: true, retained: false },
];

interface Wake {
  out: number;
  in: number;
  bytesOut: number;
  bytesIn: number;
  awakeMs: number;
}

/** pmax undefined: no observation, each wake sends the Update alone. */
interface Scenario {
  awakeMs: number;
  lifetime: number;
  pmax: number | undefined;
}

async function run(v: Variant, sc: Scenario): Promise<Wake[]> {
  const { awakeMs } = sc;
  const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
  let h: Rig | undefined;
  let offs = 0;
  let offAt = 0;
  let nextWake = 0;
  let retained: MemoryRetainedMemory | undefined;
  let notified = 0;
  const boot = (): Partial<ClientOptions> => ({
    persistence: storePersistence(RecordStore.mount(flash), silentLogger),
    queueMode: {
      awakeMs,
      retained: v.retained ? retained : undefined,
      power: {
        off: (next) => {
          offs++;
          offAt = h!.timers.now();
          nextWake = next ?? 0;
        },
        on: () => {},
      },
    },
    ...(v.coaps ? { dtls: { crypto: nodeCrypto, connectionId: v.cid } } : {}),
  });
  h = await openRig({ kind: 'memory', coaps: v.coaps, bootstrap: undefined });
  const rig = h;
  const cfg = rig.defaultBootstrapConfig();
  for (const e of Object.values(cfg.endpoints)) for (const srv of e.servers) srv.lifetime = sc.lifetime;
  rig.bs!.configure(cfg);
  retained = new MemoryRetainedMemory(2048, rig.timers);
  rig.client = rig.newClient(boot());
  rig.client.start();
  await rig.expect(() => rig.count('registered') === 1, 'registration', 60_000);
  await rig.advance(20);
  if (sc.pmax !== undefined) {
    const wa = await rig.settle(rig.server.writeAttributes(rig.endpointName, '/3/0/0', { pmin: 0, pmax: sc.pmax }));
    const o = await rig.settle(
      rig.server.observe(
        rig.endpointName,
        '/3/0/0',
        () => {
          notified++;
        },
        ContentFormat.TEXT,
      ),
    );
    if (wa.code !== '2.04' || o.first.code !== '2.05') throw new Error(`observe /3/0/0: ${wa.code} ${o.first.code}`);
  }
  const counted = { out: 0, in: 0, bytesOut: 0, bytesIn: 0 };
  const prev = rig.net!.onSend;
  rig.net!.onSend = (d) => {
    if (d.from === rig.clientAddr) {
      counted.out++;
      counted.bytesOut += d.data.length;
    }
    if (d.to === rig.clientAddr) {
      counted.in++;
      counted.bytesIn += d.data.length;
    }
    prev?.(d);
  };
  await rig.expect(() => offs >= 1, 'the first radio-off', 400_000);
  const wakes: Wake[] = [];
  for (let i = 0; i < WAKES; i++) {
    const n = offs;
    Object.assign(counted, { out: 0, in: 0, bytesOut: 0, bytesIn: 0 });
    await rig.deepSleep(nextWake, boot());
    const wokeAt = rig.timers.now();
    await rig.expect(() => offs > n, 'radio-off after the wake', 400_000);
    wakes.push({ ...counted, awakeMs: offAt - wokeAt });
  }
  if (v.retained && sc.pmax !== undefined && notified < WAKES) throw new Error(`${v.name}: ${notified} notifications in ${WAKES} wakes`);
  await rig.close();
  return wakes;
}

function row(name: string, w: Wake[]): string {
  const avg = (f: (x: Wake) => number) => w.reduce((a, x) => a + f(x), 0) / w.length;
  const max = (f: (x: Wake) => number) => Math.max(...w.map(f));
  const fmt = (f: (x: Wake) => number, digits = 1) => `${avg(f).toFixed(digits)} (max ${max(f)})`;
  return `${name.padEnd(26)} ${fmt((x) => x.out).padEnd(14)} ${fmt((x) => x.in).padEnd(14)} ${fmt((x) => x.bytesOut, 0).padEnd(16)} ${fmt((x) => x.bytesIn, 0).padEnd(16)} ${(avg((x) => x.awakeMs) / 1000).toFixed(2)} s`;
}

const mtw = maxTransmitWait(resolveParams(undefined));
// The default window (MAX_TRANSMIT_WAIT) with the Update alone; then lin-sleep.test.ts's case: lifetime 60 s, pmax 30 s, a 2 s window.
const SCENARIOS: Scenario[] = [
  { awakeMs: mtw, lifetime: 600, pmax: undefined },
  { awakeMs: 2000, lifetime: 60, pmax: 30 },
];
for (const sc of SCENARIOS) {
  const what =
    sc.pmax === undefined
      ? 'no observation: each wake sends the Update'
      : `one observation with pmax ${sc.pmax} s: each wake sends the Update and a notification`;
  console.log(
    `\nPer wake (${WAKES} wakes; lifetime ${sc.lifetime} s, ${what}; listening window ${sc.awakeMs / 1000} s${sc.awakeMs === mtw ? ' (MAX_TRANSMIT_WAIT)' : ''})`,
  );
  console.log(
    `${'variant'.padEnd(26)} ${'datagrams out'.padEnd(14)} ${'datagrams in'.padEnd(14)} ${'bytes out'.padEnd(16)} ${'bytes in'.padEnd(16)} time awake`,
  );
  for (const v of VARIANTS) {
    const w = await run(v, sc);
    console.log(row(v.name, w));
    if (v.name === 'coaps + CID' && w.some((x) => x.out > 2 || x.in > 2)) {
      console.log('  !! a coaps+CID wake took more than 2 datagrams one way');
      process.exitCode = 1;
    }
  }
}

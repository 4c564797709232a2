// Queue Mode with deep sleep on the Moddable Linux runtime with the ESP32
// limits: the firmware built with queueMode=1 awake=2
// (it registers with Q) bootstraps over coaps and registers, lifetime 60 s, with two LwM2M Servers
// over coaps — A gives it a DTLS Connection ID, B does not (so its session
// resumes) — each observing its own Lifetime (/1/x/1) with pmax 30 s. After each listening window
// the firmware deep-sleeps: the process ends with status 76 and the harness
// (lin-device.ts), as the RTC timer, starts it again when it asked; RTC memory
// is a file in its flash directory. Ten sleep/wake cycles: no Register, the
// Updates and notifications reach both servers, no handshake with A, an
// abbreviated one with B, the flash file untouched. Then a power loss in a
// sleep (the RTC file deleted): the next boot starts from the flash store and
// registers again, without bootstrapping.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`; about 6 minutes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentFormat } from '../../firmware/formats';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { consoleLogger, nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { toHex } from '../../firmware/util/hex';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { until } from './flow';
import { LinDevice } from './lin-device';
import { memoryPeaks } from './lin-run';
import { buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-sleep';
const BS_IDENTITY = 'lin-sleep-bs';
const BS_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const KEYS = [Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i), Uint8Array.from({ length: 16 }, (_, i) => 0x60 + i)];
const LIFETIME = 60;
const PMAX = 30;
const CYCLES = Number(process.env.SLEEP_CYCLES ?? 10);
const quiet = consoleLogger('error');

interface Srv {
  server: LwM2MServer;
  events: ServerEvent[];
  port: number;
  notifications: number;
}

describe('Queue Mode with deep sleep on the Moddable Linux runtime (coaps with a CID and with resumption)', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let bs: BootstrapServer;
  const bsEvents: BootstrapEvent[] = [];
  const srv: Srv[] = [];
  let device: LinDevice | undefined;
  const log = () => device?.log() ?? '';
  const registered = (s: Srv) => s.events.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length;
  const updated = (s: Srv) => s.events.filter((e) => e.type === 'updated' && e.reg.endpoint === EP).length;
  const flashHash = () =>
    createHash('sha256')
      .update(readFileSync(`${flashDir}/xs-lwm2m-lwm2m.nor`))
      .digest('hex');

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-sleep-'));
    for (let i = 0; i < 2; i++) {
      const plain = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
      const secure = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
      const psk = new PskStore();
      psk.set(EP, `lin-sleep-${i}`, KEYS[i]!);
      const events: ServerEvent[] = [];
      const server = new LwM2MServer({
        transport: plain,
        coaps: { transport: secure, crypto: nodeCrypto, connectionId: i === 0 },
        psk,
        timers: nodeTimers,
        random: nodeRandom,
        log: quiet,
        onEvent: (e) => events.push(e),
      });
      srv.push({ server, events, port: secure.port, notifications: 0 });
    }
    const bsPlain = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const bsSecure = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    bs = new BootstrapServer({
      transport: bsPlain,
      coaps: { transport: bsSecure, crypto: nodeCrypto },
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: {
        format: 'tlv',
        endpoints: {
          [EP]: {
            psk: { identity: BS_IDENTITY, keyHex: toHex(BS_KEY) },
            servers: srv.map((s, i) => ({
              uri: `coaps://127.0.0.1:${s.port}`,
              ssid: 101 + i,
              lifetime: LIFETIME,
              securityMode: 'psk' as const,
              pskIdentity: `lin-sleep-${i}`,
              pskKeyHex: toHex(KEYS[i]!),
            })),
          },
        },
      },
      onEvent: (e) => bsEvents.push(e),
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-sleep',
      config: {
        endpoint: EP,
        bootstrap: `coaps://127.0.0.1:${bsSecure.port}`,
        pskIdentity: BS_IDENTITY,
        pskKey: toHex(BS_KEY),
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
        queueMode: 1,
        awake: 2,
      },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await device?.stop();
    for (const s of srv) s.server.close();
    bs?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  it(`registers with Q to both servers over coaps, is observed with pmax ${PMAX} s, then runs ${CYCLES} sleep/wake cycles with no Register, no handshake with the CID server, a resumed session with the other, and no flash write`, async function () {
    this.timeout((CYCLES * PMAX + 120) * 1000);
    device = new LinDevice(sdk, so, 'lin-sleep', `${flashDir}/`);
    device.start();
    await until(() => srv.every((s) => registered(s) === 1), 40_000, 'the firmware to register with both servers', log);
    for (const [i, s] of srv.entries()) {
      const reg = s.server.clients.get(EP)!;
      // With two servers Access Control applies: each observes what it may read without an ACL, its own Lifetime.
      const path = `/1/${i}/1`;
      assert.equal(reg.lifetime, LIFETIME);
      const wa = await s.server.writeAttributes(EP, path, { pmin: 0, pmax: PMAX });
      assert.equal(wa.code, '2.04', `${wa.text ?? ''}\n${log()}`);
      const o = await s.server.observe(
        EP,
        path,
        () => {
          s.notifications++;
        },
        ContentFormat.TEXT,
      );
      assert.equal(o.first.code, '2.05');
    }
    const [a, b] = srv as [Srv, Srv];
    await until(() => device!.sleeps.length >= 1, 20_000, 'the first deep sleep', log);
    const flash = flashHash();
    const aHandshakes = a.server.dtls!.stats.handshakesStarted;
    const bFull = b.server.dtls!.stats.handshakesCompleted - b.server.dtls!.stats.handshakesResumed;
    const bResumed = b.server.dtls!.stats.handshakesResumed;
    const notes = srv.map((s) => s.notifications);
    const updates = srv.map(updated);
    await until(
      () => device!.sleeps.length >= CYCLES + 1,
      (CYCLES * PMAX + 60) * 1000,
      `${CYCLES} wakes, each ending in a deep sleep`,
      log,
    );
    const wakes = device.runs.length - 1;
    const awake = device.runs.slice(1).map((r, i) => (device!.ends[i + 1]?.at ?? Date.now()) - device!.starts[i + 1]!);
    console.log(
      `      ${wakes} wakes; per wake awake ${Math.min(...awake)}–${Math.max(...awake)} ms (process start to deep sleep); ` +
        `sleeps ${device.sleeps.map((s) => Math.round(s.ms / 1000)).join(', ')} s; ` +
        `A (CID): ${a.server.dtls!.stats.handshakesStarted - aHandshakes} handshakes, ${updated(a) - updates[0]!} Updates, ${a.notifications - notes[0]!} notifications; ` +
        `B: ${b.server.dtls!.stats.handshakesResumed - bResumed} abbreviated handshakes, ${updated(b) - updates[1]!} Updates, ${b.notifications - notes[1]!} notifications`,
    );
    assert.ok(
      device.ends.slice(0, -1).every((e) => e.code === 76),
      'every run but the last ended in a deep sleep',
    );
    for (const s of srv) assert.equal(registered(s), 1, 'no Register after the first');
    assert.equal(bsEvents.filter((e) => e.type === 'request').length, 1, 'bootstrapped once');
    assert.equal(a.server.dtls!.stats.handshakesStarted, aHandshakes, 'no handshake with the server that gave a CID');
    assert.ok(a.server.dtls!.stats.cidRecordsIn > 0 && b.server.dtls!.stats.cidRecordsIn === 0, "A's records carry a CID, B's none");
    assert.ok(b.server.dtls!.stats.handshakesResumed - bResumed >= CYCLES - 1, "B's session resumed (abbreviated handshakes)");
    assert.equal(b.server.dtls!.stats.handshakesCompleted - b.server.dtls!.stats.handshakesResumed, bFull, 'no full handshake with B');
    for (let i = 0; i < 2; i++) {
      assert.ok(updated(srv[i]!) - updates[i]! >= CYCLES - 1, `Updates reached server ${i}`);
      assert.ok(
        srv[i]!.notifications - notes[i]! >= CYCLES - 1,
        `pmax notifications reached server ${i} (${srv[i]!.notifications - notes[i]!})`,
      );
      assert.ok(srv[i]!.server.clients.has(EP), 'still registered');
    }
    assert.equal(flashHash(), flash, 'the flash file is the same after the wakes: no flash write');
    // Every wake within the ESP32 limits: nothing loaded at run time, the stack within 75 % (a wake resumes DTLS too).
    const peaks = device.runs.map((r) => memoryPeaks(r.instruments())).filter((p) => p.samples > 0);
    const stack = Math.max(...peaks.map((p) => p.stack));
    console.log(
      `      stack peak over the runs ${stack}/${peaks[0]?.stackLimit} slots; heaps in use up to ${Math.max(...peaks.map((p) => p.slots))}/${peaks[0]?.slotLimit} slots`,
    );
    assert.ok(peaks.length >= CYCLES / 2, 'instruments from the runs');
    assert.ok(
      peaks.every((p) => p.modulesLoaded === 0 && p.stack <= 0.75 * p.stackLimit),
      `stack peak ${stack}`,
    );
    assert.ok(device.logLines().some((l) => /sleep: boot by the sleep timer, a session kept/.test(l)));
    assert.deepEqual(device.xsErrors(), [], 'XS reported no exception or abort');
    assert.deepEqual(
      device.logLines().filter((l) => /\] [EW] /.test(l)),
      [],
      'no error or warning in the firmware log',
    );
  });

  it('after a power loss in a deep sleep (the RTC memory gone) boots from the flash store and registers again, without bootstrapping', async function () {
    this.timeout(120_000);
    assert.ok(device, 'the cycles ran');
    await until(() => device!.asleep, 40_000, 'a deep sleep', log);
    assert.ok(device.losePowerInSleep());
    await until(() => srv.every((s) => registered(s) === 2), 80_000, 'a new Register with both servers', log);
    assert.equal(bsEvents.filter((e) => e.type === 'request').length, 1, 'no Bootstrap-Request: the flash store had the configuration');
    assert.ok(device.logLines().some((l) => /sleep: no retained state \(first boot or power loss\)/.test(l)));
    assert.deepEqual(device.xsErrors(), []);
  });
});

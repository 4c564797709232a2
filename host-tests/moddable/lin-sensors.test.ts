// The example app on the library (examples/moddable-sensors), built by the
// real Moddable SDK for its Linux runtime with the ESP32 board's limits and
// run headless against our Bootstrap-Server and LwM2M Server over loopback:
// Temperature (3303) fed by the app, Light Control (3311) on the LED (the lin
// Digital shim prints each GPIO write), Push button (3347) on the BOOT button
// (the shim reads GPIO 0 from a file the test writes), BinaryAppDataContainer
// (19) created and deleted by the server; then Reboot (/3/0/4: the process
// ends with the restart status, this harness starts it again, it registers
// from what it stored) and Factory Reset (/3/0/5: it bootstraps again).
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentFormat } from '../../firmware/formats';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type OperationResult, type ServerEvent } from '../../host/lwm2m-server';
import { rec, values } from '../dm/helpers';
import { until } from './flow';
import { memoryPeaks } from './lin-run';
import { EXIT_RESTART, LinDevice } from './lin-device';
import { SENSORS_MANIFEST, buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-sensors';
/** The same app built without Firmware Update (firmwareImage= empty). */
const EP_NO_FOTA = 'xs-lwm2m-lin-sensors-nofota';
/** The example's pins on the generic ESP32 board (examples/moddable-sensors/manifest.json). */
const LED_GPIO = 2;
const BUTTON_GPIO = 0;
/** The example's BinaryAppDataContainer bound (MAX_APP_DATA in its main.ts). */
const MAX_APP_DATA = 4;
/** The change threshold the Observe test sets: above the example's 0.5 °C step, so every other reading at most notifies. */
const STEP_THRESHOLD = 0.9;
const PEAK_SHARE = 0.75;
const quiet = consoleLogger('error');

describe('the example app (examples/moddable-sensors) on the Moddable Linux runtime with the ESP32 memory limits', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let bsUdp: UdpTransport;
  let srvUdp: UdpTransport;
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let device: LinDevice;
  const serverEvents: ServerEvent[] = [];
  const bsEvents: BootstrapEvent[] = [];
  const registrations = () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length;
  const bootstrapRequests = () => bsEvents.filter((e) => e.type === 'request' && e.endpoint === EP).length;
  const press = (down: boolean) => writeFileSync(join(flashDir, `xs-lwm2m-gpio${BUTTON_GPIO}`), down ? '0' : '1');
  const number = (r: OperationResult, path: string) => Number(values(r)[path]);

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-sensors-'));
    bsUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    srvUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    server = new LwM2MServer({
      transport: srvUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => serverEvents.push(e),
    });
    bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => bsEvents.push(e),
      config: {
        format: 'tlv',
        endpoints: Object.fromEntries(
          [EP, EP_NO_FOTA].map((ep) => [ep, { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101, lifetime: 300 }] }]),
        ),
      },
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-sensors',
      manifest: SENSORS_MANIFEST,
      config: {
        endpoint: EP,
        bootstrap: `coap://127.0.0.1:${bsUdp.port}`,
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
        sampleSeconds: 1,
      },
    }));
    device = new LinDevice(sdk, so, 'lin-sensors');
    device.start();
    await until(
      () => registrations() > 0,
      30_000,
      'the example app to register',
      () => device.log(),
    );
  });

  after(async function () {
    this.timeout(30_000);
    await device?.stop();
    server?.close();
    bs?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  it("bootstraps once and registers its objects: 3303, 3311, 3347 and 19 beside the client's own", () => {
    assert.equal(bootstrapRequests(), 1);
    const reg = server.clients.get(EP)!;
    const objects = new Set(reg.links.map((l) => l.target.split('/')[1]));
    for (const id of ['3', '3303', '3311', '3347', '19'])
      assert.ok(objects.has(id), `/${id} registered (${reg.links.map((l) => l.target).join(',')})`);
    assert.deepEqual(device.xsErrors(), []);
  });

  it("serves the app's temperature: Read /3303/0/5700, units, min/max measured around it; Discover /3303/0 lists its resources", async () => {
    const v = await server.read(EP, '/3303/0/5700', ContentFormat.TEXT);
    assert.equal(v.code, '2.05', v.text);
    const t = number(v, '/3303/0/5700');
    assert.ok(t >= 20 && t <= 26 && Number.isInteger(t * 2), `a reading of the example's 20–26 °C ramp: ${t}`);
    const all = await server.read(EP, '/3303/0', ContentFormat.SENML_CBOR);
    assert.equal(all.code, '2.05');
    const r = values(all);
    assert.equal(r['/3303/0/5701'], 'Cel');
    assert.ok(Number(r['/3303/0/5601']) <= Number(r['/3303/0/5700']) && Number(r['/3303/0/5700']) <= Number(r['/3303/0/5602']));
    assert.equal(r['/3303/0/5603'], -40);
    assert.equal(r['/3303/0/5604'], 125);
    const d = await server.discover(EP, '/3303/0');
    assert.equal(d.code, '2.05');
    const targets = (d.links ?? []).map((l) => l.target);
    for (const rid of [5700, 5601, 5602, 5603, 5604, 5701, 5605])
      assert.ok(targets.includes(`/3303/0/${rid}`), `Discover lists /3303/0/${rid}: ${targets.join(',')}`);
    assert.equal((await server.write(EP, '/3303/0/5700', 30.5)).code, '4.05', 'Sensor Value is read-only');
  });

  it('notifies an Observe of /3303/0/5700 with pmin/pmax/st when the app changes the value by at least st', async function () {
    this.timeout(30_000);
    const a = await server.writeAttributes(EP, '/3303/0/5700', { pmin: 1, pmax: 30, st: STEP_THRESHOLD });
    assert.equal(a.code, '2.04', a.text);
    const notified: number[] = [];
    const obs = await server.observe(EP, '/3303/0/5700', (r) => notified.push(number(r, '/3303/0/5700')), ContentFormat.TEXT);
    assert.equal(obs.first.code, '2.05');
    const first = number(obs.first, '/3303/0/5700');
    // The app feeds a reading every second, 0.5 °C apart: a notification comes every other reading at most.
    await until(
      () => notified.length >= 2,
      20_000,
      'two notifications of the temperature',
      () => device.log(),
    );
    await obs.cancel();
    const seen = [first, ...notified];
    for (let i = 1; i < seen.length; i++) {
      assert.ok(Math.abs(seen[i]! - seen[i - 1]!) >= STEP_THRESHOLD, `each notification moved by st at least: ${seen.join(' → ')}`);
    }
  });

  it('takes a Write of /3311/0/5850 On/Off: the app switches the LED (GPIO write) and reads back what was written; a wrong type changes nothing', async () => {
    const run = device.current;
    const on = await server.write(EP, '/3311/0/5850', true);
    assert.equal(on.code, '2.04', on.text);
    await run.waitForLog(new RegExp(`^\\[lin\\] gpio ${LED_GPIO} = 1`), 5000);
    await run.waitForLog(/^\[app\] light on/, 1000);
    assert.equal(values(await server.read(EP, '/3311/0/5850', ContentFormat.TEXT))['/3311/0/5850'], true);
    const bad = await server.request(EP, {
      method: 3 /* PUT */,
      path: ['3311', '0', '5850'],
      contentFormat: ContentFormat.TEXT,
      payload: new TextEncoder().encode('maybe'),
    });
    assert.equal(bad.code, '4.00', 'not a boolean');
    assert.equal(values(await server.read(EP, '/3311/0/5850', ContentFormat.TEXT))['/3311/0/5850'], true, 'unchanged');
    const off = await server.write(EP, '/3311/0/5850', false);
    assert.equal(off.code, '2.04');
    await until(
      () => run.logLines().filter((l) => l === `[lin] gpio ${LED_GPIO} = 0`).length >= 2,
      5000,
      'the LED off again (after the one at start)',
    );
    assert.deepEqual(
      run.logLines().filter((l) => l.startsWith(`[lin] gpio ${LED_GPIO}`)),
      [`[lin] gpio ${LED_GPIO} = 0`, `[lin] gpio ${LED_GPIO} = 1`, `[lin] gpio ${LED_GPIO} = 0`],
    );
  });

  it('counts a press of the BOOT button (Digital input, onReadable) and notifies an Observe of the counter', async () => {
    const counts: number[] = [];
    const obs = await server.observe(EP, '/3347/0/5501', (r) => counts.push(number(r, '/3347/0/5501')), ContentFormat.TEXT);
    assert.equal(obs.first.code, '2.05');
    assert.equal(number(obs.first, '/3347/0/5501'), 0);
    press(true);
    await device.current.waitForLog(/^\[app\] button pressed \(1\)/, 5000);
    assert.equal(values(await server.read(EP, '/3347/0/5500', ContentFormat.TEXT))['/3347/0/5500'], true);
    press(false);
    await device.current.waitForLog(/^\[app\] button released \(1\)/, 5000);
    await until(() => counts.includes(1), 5000, 'the counter notified');
    await obs.cancel();
    const r = values(await server.read(EP, '/3347/0', ContentFormat.SENML_CBOR));
    assert.equal(r['/3347/0/5500'], false);
    assert.equal(r['/3347/0/5501'], 1);
  });

  it(`creates BinaryAppDataContainer (19) instances up to ${MAX_APP_DATA}, refuses one more with nothing half-made, deletes one`, async () => {
    const made: string[] = [];
    for (let i = 0; i < MAX_APP_DATA; i++) {
      const c = await server.create(EP, '/19', [rec(`/19/${i}/0/0`, new Uint8Array([0xca, 0xfe, i]))]);
      assert.equal(c.code, '2.01', c.text);
      made.push(c.location ?? `/19/${i}`);
    }
    const over = await server.create(EP, '/19', [rec(`/19/${MAX_APP_DATA}/0/0`, new Uint8Array([1]))]);
    assert.equal(over.code, '5.03', 'past the bound');
    assert.equal((await server.read(EP, `/19/${MAX_APP_DATA}`)).code, '4.04', 'nothing half-created');
    const data = await server.read(EP, `${made[1]}/0`, ContentFormat.SENML_CBOR);
    assert.equal(data.code, '2.05');
    assert.deepEqual([...(data.records?.[0]?.value as Uint8Array)], [0xca, 0xfe, 1]);
    assert.equal((await server.delete(EP, made[1]!)).code, '2.02');
    assert.equal((await server.read(EP, made[1]!)).code, '4.04');
    const d = await server.discover(EP, '/19');
    assert.deepEqual(
      (d.links ?? []).map((l) => l.target).filter((t) => /^\/19\/\d+$/.test(t)),
      made.filter((_, i) => i !== 1),
    );
  });

  it('Reboot (/3/0/4): 2.04, the process ends with the restart status, the next run registers again without a Bootstrap-Request', async function () {
    this.timeout(60_000);
    const runs = device.runs.length;
    const regs = registrations();
    const requests = bootstrapRequests();
    const x = await server.execute(EP, '/3/0/4');
    assert.equal(x.code, '2.04', x.text);
    await until(
      () => device.runs.length > runs,
      15_000,
      'the restart',
      () => device.log(),
    );
    assert.equal(device.ends[device.ends.length - 1]?.code, EXIT_RESTART);
    const rebooted = device.runs[runs - 1]!;
    assert.ok(rebooted.logLines().some((l) => /client: Reboot/.test(l)) && rebooted.proc.grep(/^\[lin\] restart/).length === 1);
    await until(
      () => registrations() > regs,
      30_000,
      'the registration after Reboot',
      () => device.log(),
    );
    assert.equal(bootstrapRequests(), requests, 'no Bootstrap-Request after a Reboot');
    assert.ok(device.current.logLines().some((l) => /starting from stored configuration/.test(l)));
    const t = await server.read(EP, '/3303/0/5700', ContentFormat.TEXT);
    assert.equal(t.code, '2.05', 'the app serves its objects again');
    assert.deepEqual(device.xsErrors(), []);
  });

  it('Factory Reset (/3/0/5): 2.04, the stored configuration is erased, the next run bootstraps again and registers', async function () {
    this.timeout(60_000);
    const runs = device.runs.length;
    const regs = registrations();
    const requests = bootstrapRequests();
    const x = await server.execute(EP, '/3/0/5');
    assert.equal(x.code, '2.04', x.text);
    await until(
      () => device.runs.length > runs,
      15_000,
      'the restart',
      () => device.log(),
    );
    assert.equal(device.ends[device.ends.length - 1]?.code, EXIT_RESTART);
    await until(
      () => registrations() > regs,
      30_000,
      'the registration after Factory Reset',
      () => device.log(),
    );
    assert.equal(bootstrapRequests(), requests + 1, 'bootstrapped again');
    assert.ok(device.current.logLines().some((l) => /starting from factory configuration/.test(l)));
    assert.equal((await server.read(EP, '/3311/0/5850', ContentFormat.TEXT)).code, '2.05');
    assert.deepEqual(device.xsErrors(), []);
  });

  it('runs within the ESP32 creation limits, every module preloaded, the stack peak within 75 % of its limit', () => {
    const peaks = memoryPeaks(device.runs.flatMap((r) => r.instruments()));
    console.log(
      `      ${device.runs.length} runs, ${peaks.samples} s: stack peak ${peaks.stack}/${peaks.stackLimit} slots; heaps in use (garbage included) up to ` +
        `${peaks.slots}/${peaks.slotLimit} slots, ${peaks.chunkBytes}/${peaks.chunkLimit} B (64-bit host); modules loaded at run time ${peaks.modulesLoaded}`,
    );
    assert.ok(peaks.samples >= 3);
    assert.equal(peaks.slotLimit, 4096 - 1);
    assert.equal(peaks.stackLimit, 1024);
    assert.equal(peaks.modulesLoaded, 0, "the app's main and the library are preloaded");
    assert.ok(peaks.stack <= PEAK_SHARE * peaks.stackLimit, `stack peak ${peaks.stack} of ${peaks.stackLimit} slots`);
    assert.deepEqual(
      device.logLines().filter((l) => /\] E /.test(l)),
      [],
      'no error in the firmware log',
    );
  });

  describe('built without Firmware Update (firmwareImage= empty)', function () {
    let plain: LinDevice | undefined;
    let plainDir: string;

    before(async function () {
      this.timeout(10 * 60_000);
      await device?.stop();
      plainDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-sensors-nofota-'));
      const built = await buildLin(sdk, {
        name: 'lin-sensors-nofota',
        manifest: SENSORS_MANIFEST,
        config: {
          endpoint: EP_NO_FOTA,
          bootstrap: `coap://127.0.0.1:${bsUdp.port}`,
          flashDirectory: `${plainDir}/`,
          logLevel: 'info',
          firmwareImage: '',
        },
      });
      plain = new LinDevice(sdk, built.so, 'lin-sensors (no /5)');
      plain.start();
    });

    after(async function () {
      this.timeout(30_000);
      await plain?.stop();
      if (plainDir) rmSync(plainDir, { recursive: true, force: true });
    });

    it('has no object 5, and Reboot still restarts the process, which registers again without bootstrapping', async function () {
      this.timeout(60_000);
      const regs = () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP_NO_FOTA).length;
      await until(
        () => regs() > 0,
        30_000,
        'the build without /5 to register',
        () => plain!.log(),
      );
      assert.ok(!server.clients.get(EP_NO_FOTA)!.links.some((l) => l.target.startsWith('/5')), 'no /5 registered');
      assert.ok(plain!.logLines().some((l) => /no firmwareImage= in this build/.test(l)));
      const requests = bsEvents.filter((e) => e.type === 'request' && e.endpoint === EP_NO_FOTA).length;
      assert.equal((await server.execute(EP_NO_FOTA, '/3/0/4')).code, '2.04');
      await until(
        () => regs() > 1,
        30_000,
        'the registration after Reboot',
        () => plain!.log(),
      );
      assert.deepEqual(
        plain!.ends.map((e) => e.code),
        [EXIT_RESTART],
      );
      assert.equal(bsEvents.filter((e) => e.type === 'request' && e.endpoint === EP_NO_FOTA).length, requests, 'no Bootstrap-Request');
      assert.deepEqual(plain!.xsErrors(), []);
    });
  });
});

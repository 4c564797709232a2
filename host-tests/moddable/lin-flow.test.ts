// The whole firmware, built by the real Moddable SDK for its Linux runtime
// with the ESP32 board's memory limits (boards/lin includes boards/esp32),
// run headless against the host Bootstrap-Server and LwM2M Server over
// loopback UDP: the real XS runtime, module loader and preload, the real UDP
// module, the native (wasm2c) TLV codec, the flash store in a file with NOR
// semantics. The messages on the wire are compared with the Node client's for
// the same flow; then the firmware is killed (a power cut for its flash file)
// and restarted, and must register from what it stored. The same flow runs
// once more with Eclipse Leshan as the LwM2M Server.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { pendingUpdateStore, storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { hostImageFormat } from '../../firmware/lwm2m/firmware-update/image';
import { FileSlot } from '../../firmware/platform/node/file-slot';
import { nodeSha256Stream } from '../../firmware/platform/node/crypto';
import { RecordStore } from '../../firmware/store/record-store';
import { consoleLogger, nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { DEVICE_COAP_BOUNDS } from '../../firmware/platform/moddable/device-config';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { MemoryFlash } from '../support/memory-flash';
import { resourceValue, startLeshanServer, stopAllJava, type LeshanServerHandle } from '../interop/leshan/harness';
import { WireRecorder, deviceManagementFlow, until, type WireEntry } from './flow';
import { LinFirmware, memoryPeaks } from './lin-run';
import { buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin';
/** The device identity, given to the lin build as mcconfig arguments and to the Node reference client. */
const DEVICE = { manufacturer: 'xs-lwm2m', modelNumber: 'lin-flow', serialNumber: 'LIN-0001', firmwareVersion: '0.1.0' };
/** The share of the XS stack the firmware may use at its peak. */
const PEAK_SHARE = 0.75;
const quiet = consoleLogger('error');

describe('firmware on the Moddable Linux runtime with the ESP32 memory limits', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let bsUdp: UdpTransport;
  let srvUdp: UdpTransport;
  let server: LwM2MServer;
  let bs: BootstrapServer | undefined;
  const wire = new WireRecorder();
  const serverEvents: ServerEvent[] = [];
  const bsEvents: BootstrapEvent[] = [];
  const reference: { wire?: WireEntry[] } = {};
  let firmware: LinFirmware | undefined;

  const bootstrapConfig = (serverUri: string) => ({
    format: 'tlv' as const,
    endpoints: { [EP]: { servers: [{ uri: serverUri, ssid: 101, lifetime: 300 }] } },
  });

  function startFirmware(name: string): LinFirmware {
    firmware = LinFirmware.start(sdk, so, name);
    return firmware;
  }

  const firmwareLog = () => firmware?.proc.log(80) ?? '';

  before(async function () {
    this.timeout(10 * 60_000); // a cold build compiles the XS runtime and the native codec
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-flash-'));
    bsUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    srvUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    server = new LwM2MServer({
      transport: wire.tap(srvUdp, 'srv'),
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => serverEvents.push(e),
    });
    bs = new BootstrapServer({
      transport: wire.tap(bsUdp, 'bs'),
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: bootstrapConfig(`coap://127.0.0.1:${srvUdp.port}`),
      onEvent: (e) => bsEvents.push(e),
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-test',
      config: {
        endpoint: EP,
        bootstrap: `coap://127.0.0.1:${bsUdp.port}`,
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
        manufacturer: DEVICE.manufacturer,
        model: DEVICE.modelNumber,
        serialNumber: DEVICE.serialNumber,
        firmwareVersion: DEVICE.firmwareVersion,
      },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await firmware?.stop('SIGKILL');
    await stopAllJava();
    server?.close();
    bs?.close();
    rmSync(flashDir, { recursive: true, force: true });
  });

  it('runs the flow with the Node client (the reference)', async () => {
    wire.reset();
    const udp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const store = RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }), { log: quiet });
    const client = new LwM2MClient({
      endpointName: EP,
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      wallClock: nodeWallClock,
      device: DEVICE,
      factory: { bootstrap: { uri: `coap://127.0.0.1:${bsUdp.port}` } },
      persistence: storePersistence(store, quiet),
      coap: DEVICE_COAP_BOUNDS,
      // The lin firmware has Firmware Update (/5) too, which its Register lists.
      firmware: {
        slot: new FileSlot(join(flashDir, 'node-reference-slot'), { restart: () => {} }),
        format: hostImageFormat,
        sha256: nodeSha256Stream,
        store: pendingUpdateStore(store, quiet),
      },
    });
    try {
      client.start();
      await until(() => server.clients.has(EP), 15_000, 'the Node client to register');
      await deviceManagementFlow(server, EP, serverEvents, { manufacturer: DEVICE.manufacturer });
      reference.wire = [...wire.entries];
      await client.stop();
      await until(() => !server.clients.has(EP), 5000, 'de-registration');
    } finally {
      udp.close();
    }
  });

  it('bootstraps, registers and serves Read (TLV through the native codec, SenML CBOR), Write, Observe, Execute: the same messages as the Node client', async function () {
    assert.ok(reference.wire, 'the Node reference run passed');
    wire.reset();
    const bootstrapsBefore = bsEvents.filter((e) => e.type === 'finished').length;
    const fw = startFirmware('lin-firmware');
    await until(() => server.clients.has(EP), 30_000, 'the lin firmware to register', firmwareLog);
    assert.equal(bsEvents.filter((e) => e.type === 'finished').length, bootstrapsBefore + 1, 'bootstrapped once');
    const outcome = await deviceManagementFlow(server, EP, serverEvents, { manufacturer: DEVICE.manufacturer });
    const linWire = wire.entries;
    console.log(`      ${outcome.steps.map(([s, r]) => `${s}: ${r}`).join('; ')}`);
    assert.deepEqual(fw.xsErrors(), [], 'XS reported no exception or abort');
    assert.deepEqual(
      fw.logLines().filter((l) => /\] [EW] /.test(l)),
      [],
      'no error or warning in the firmware log',
    );
    assert.equal(linWire.length, reference.wire!.length, `same number of messages (lin ${linWire.length}, Node ${reference.wire!.length})`);
    assert.deepEqual(linWire, reference.wire);
    console.log(`      ${linWire.length} messages on the wire, identical to the Node client's`);
  });

  it('runs within the ESP32 creation limits, every module preloaded, the stack peak within 75 % of its limit', async () => {
    assert.ok(firmware, 'the lin run happened');
    await new Promise((r) => setTimeout(r, 1200)); // one more instruments sample after the last step
    const peaks = memoryPeaks(firmware.instruments());
    // Slot and chunk "used" include garbage not yet collected (their live peaks are measured by npm run bench moddable).
    console.log(
      `      over ${peaks.samples} s: stack peak ${peaks.stack}/${peaks.stackLimit} slots; heaps in use (garbage included) up to ` +
        `${peaks.slots}/${peaks.slotLimit} slots, ${peaks.chunkBytes}/${peaks.chunkLimit} B (64-bit host); modules loaded at run time ${peaks.modulesLoaded}`,
    );
    assert.ok(peaks.samples >= 3, 'the debug build printed its instruments');
    assert.equal(peaks.slotLimit, 4096 - 1, "the lin build runs with the ESP32 board's slot heap (boards/esp32 creation)");
    assert.equal(peaks.chunkLimit, 65536, 'and its chunk heap');
    assert.equal(peaks.stackLimit, 1024, 'and its stack');
    assert.equal(peaks.modulesLoaded, 0, 'every module of the firmware is preloaded (manifest preload)');
    assert.ok(peaks.stack <= PEAK_SHARE * peaks.stackLimit, `stack peak ${peaks.stack} of ${peaks.stackLimit} slots`);
  });

  it('after a power cut, restarts from its flash file and registers without bootstrapping, keeping what the server wrote', async () => {
    assert.ok(firmware, 'the lin run happened');
    await firmware.stop('SIGKILL');
    const bootstrapsBefore = bsEvents.filter((e) => e.type === 'request').length;
    const registrationsBefore = serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length;
    const fw = startFirmware('lin-firmware (restarted)');
    await until(
      () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length > registrationsBefore,
      30_000,
      'the restarted firmware to register',
      firmwareLog,
    );
    assert.equal(bsEvents.filter((e) => e.type === 'request').length, bootstrapsBefore, 'no Bootstrap-Request after the restart');
    await fw.waitForLog(/client: .*stored configuration/, 1000).catch(() => undefined);
    const back = await server.read(EP, '/3/0/14');
    assert.equal(back.code, '2.05');
    assert.equal(back.records?.[0]?.value, '+01:00', 'UTC Offset written before the power cut survives it');
    assert.deepEqual(fw.xsErrors(), []);
    await fw.stop();
  });

  describe('when the Wi-Fi link drops', function () {
    let dropSo: string;

    before(async function () {
      this.timeout(10 * 60_000);
      bs!.configure(bootstrapConfig(`coap://127.0.0.1:${srvUdp.port}`));
      rmSync(join(flashDir, 'xs-lwm2m-lwm2m.nor'), { force: true });
      // The simulated station loses its access point 3 s after it first got an address.
      ({ so: dropSo } = await buildLin(sdk, {
        name: 'lin-linkdrop',
        config: { endpoint: EP, bootstrap: `coap://127.0.0.1:${bsUdp.port}`, flashDirectory: `${flashDir}/`, simLinkDrop: 3000 },
      }));
    });

    it('reconnects with back-off and tells the client, which sends a Registration Update', async function () {
      this.timeout(30_000);
      firmware = LinFirmware.start(sdk, dropSo, 'lin-firmware (link drop)');
      const fw = firmware;
      await until(() => server.clients.has(EP), 15_000, 'registration', firmwareLog);
      const updates = () => serverEvents.filter((e) => e.type === 'updated' && e.reg.endpoint === EP).length;
      const before = updates();
      await fw.waitForLog(/wifi: link lost/, 10_000);
      await fw.waitForLog(/wifi: up/, 5000, false);
      await until(() => updates() > before, 10_000, 'the Update after the link came back', firmwareLog);
      const led = fw.logLines().filter((l) => l.startsWith('[lin] gpio'));
      assert.deepEqual(
        led,
        ['[lin] gpio 2 = 0', '[lin] gpio 2 = 1', '[lin] gpio 2 = 0', '[lin] gpio 2 = 1'],
        'status LED: off, registered, link lost, back',
      );
      assert.deepEqual(fw.xsErrors(), []);
      await fw.stop();
    });
  });

  describe('with Eclipse Leshan as the LwM2M Server', function () {
    let leshan: LeshanServerHandle;

    before(async function () {
      this.timeout(12 * 60_000); // cold Maven fetch, bounded inside ensureLeshan
      leshan = await startLeshanServer();
      bs!.configure(bootstrapConfig(leshan.coapUri));
      rmSync(join(flashDir, 'xs-lwm2m-lwm2m.nor'), { force: true }); // a factory-fresh device
    });

    it('bootstraps from ours, registers with Leshan, which reads, writes, observes and triggers an Update', async function () {
      this.timeout(90_000);
      const fw = startFirmware('lin-firmware (Leshan)');
      const events = await leshan.rest.events(EP);
      try {
        const reg = await leshan.rest.waitForRegistration(EP, 30_000).catch((e: Error) => {
          throw new Error(`${e.message}\n${firmwareLog()}`);
        });
        assert.equal(reg.lwM2mVersion, '1.1');
        for (const format of ['TLV', 'SENML_CBOR'] as const) {
          const r = await leshan.rest.read(EP, '/3/0', { format });
          assert.equal(r.code, '2.05', `Read /3/0 ${format}: ${r.status} ${r.errormessage ?? ''}`);
          assert.equal(resourceValue(r.content, 0), DEVICE.manufacturer);
        }
        const w = await leshan.rest.writeResource(EP, '/3/0/14', '+03:00', { format: 'TLV' });
        assert.equal(w.code, '2.04', `${w.status} ${w.errormessage ?? ''}`);
        const back = await leshan.rest.read(EP, '/3/0/14', { format: 'TEXT' });
        assert.equal(back.content?.value, '+03:00');
        const a = await leshan.rest.writeAttributes(EP, '/3/0/13', { pmin: 1, pmax: 1 });
        assert.equal(a.code, '2.04', `${a.status} ${a.errormessage ?? ''}`);
        const o = await leshan.rest.observe(EP, '/3/0/13', { format: 'TLV' });
        assert.equal(o.code, '2.05', `${o.status} ${o.errormessage ?? ''}`);
        const notes = await events.notifications(EP, '/3/0/13', 2, 15_000);
        assert.ok(notes.length >= 2);
        await leshan.rest.cancelObservation(EP, '/3/0/13');
        const updates = events.ofType('UPDATED').length;
        const x = await leshan.rest.execute(EP, '/1/0/8');
        assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
        await events.waitFor('UPDATED', 15_000, () => events.ofType('UPDATED').length > updates, true);
        assert.deepEqual(fw.xsErrors(), []);

        // Power cut, restart: registers with Leshan from flash, no second bootstrap.
        await fw.stop('SIGKILL');
        const requests = bsEvents.filter((e) => e.type === 'request').length;
        const registered = events.ofType('REGISTRATION').length;
        startFirmware('lin-firmware (Leshan, restarted)');
        await events.waitFor('REGISTRATION', 30_000, () => events.ofType('REGISTRATION').length > registered, true);
        assert.equal(bsEvents.filter((e) => e.type === 'request').length, requests, 'no Bootstrap-Request after the restart');
        const kept = await leshan.rest.read(EP, '/3/0/14', { format: 'TEXT' });
        assert.equal(kept.content?.value, '+03:00');
      } finally {
        events.close();
        await firmware?.stop();
      }
    });
  });
});

// Firmware Update (object 5) of the whole firmware on the Moddable SDK's Linux
// runtime, with the ESP32 memory limits: our LwM2M Server has the lin firmware
// pull a host image (Package URI, Block2 over coap://) into its file-backed
// app partition (firmware/platform/lin: ota + ota-boot, ESP-IDF's otadata
// rules), then executes Update. The firmware "resets": the process ends with
// exit status 75, and this harness starts the same build again on the same
// state directory, as a bootloader would. The new run boots the image on
// trial, reports /3/0/3 from its header, registers, confirms it and reports
// Update Result 1. Then an image that crashes at start (simFailVersion=, exit
// 70) is rolled back by the next boot, which reports Update Result 8.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../update/support/images';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHostImage } from '../../firmware/lwm2m/firmware-update/image';
import { Code } from '../../firmware/coap/message';
import { utf8Decode } from '../../firmware/util/utf8';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { updateFirmware, type FirmwareUpdateEvent } from '../../host/firmware-update-job';
import { until } from './flow';
import { HOST_SLOT_BYTES, memoryPeaks, type MemoryPeaks } from './lin-run';
import { EXIT_CRASH, EXIT_RESTART, LinDevice } from './lin-device';
import { REPO, buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-fota';
const FACTORY_VERSION = '0.1.0';
const NEW_VERSION = '0.2.0';
/** The image the lin build is told crashes at start (simFailVersion=). */
const BROKEN_VERSION = '0.3.0-broken';
const IMAGE_BODY = 160 * 1024;
const quiet = consoleLogger('error');

describe('Firmware Update of the firmware on the Moddable Linux runtime (file-backed app partitions, restart by the harness)', function () {
  this.timeout(120_000);
  let sdk: Sdk;
  let so: string;
  let stateDir: string;
  let bsUdp: UdpTransport;
  let srvUdp: UdpTransport;
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let device: LinDevice | undefined;
  const serverEvents: Array<ServerEvent & { at: number }> = [];
  const registrations = () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP);

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) {
      console.log(`      skipped: ${found.missing}`);
      this.skip();
    }
    sdk = found as Sdk;
    stateDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-fota-'));
    bsUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    srvUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    server = new LwM2MServer({
      transport: srvUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => serverEvents.push({ ...e, at: Date.now() }),
    });
    bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101, lifetime: 300 }] } } },
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-fota',
      config: {
        endpoint: EP,
        bootstrap: `coap://127.0.0.1:${bsUdp.port}`,
        flashDirectory: `${stateDir}/`,
        logLevel: 'info',
        firmwareVersion: FACTORY_VERSION,
        simFailVersion: BROKEN_VERSION,
      },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await device?.stop();
    server?.close();
    bs?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const otadata = () =>
    JSON.parse(readFileSync(join(stateDir, 'xs-lwm2m-otadata.json'), 'utf8')) as { boot: number | null; state: number[]; length: number[] };

  it('pulls a host image, restarts into it (the process ends, the harness starts it again), reports /3/0/3 from its header and Update Result 1, and confirms it', async function () {
    device = new LinDevice(sdk, so, 'lin-fota');
    device.start();
    await until(
      () => server.clients.has(EP),
      30_000,
      'the lin firmware to register',
      () => device!.log(),
    );
    const v0 = await server.read(EP, '/3/0/3');
    assert.equal(v0.records?.[0]?.value, FACTORY_VERSION, "the factory firmware reports the build's firmwareVersion");

    const image = makeHostImage('xs-lwm2m', NEW_VERSION, new Uint8Array(randomBytes(IMAGE_BODY)), sha256);
    const events: Array<FirmwareUpdateEvent & { at: number }> = [];
    const t0 = Date.now();
    const outcome = await updateFirmware(server, EP, image, {
      method: 'pull',
      name: 'lin-0.2.0.bin',
      restartTimeoutMs: 60_000,
      onEvent: (e) => events.push({ ...e, at: Date.now() }),
    });
    assert.ok(outcome.ok, `${outcome.reason}\n${device.log()}`);
    assert.equal(outcome.result, 1);
    assert.equal(outcome.version, NEW_VERSION, "/3/0/3 after the restart is the new image's");

    // One reset: the first run ended with the restart status, the second one runs the image.
    assert.equal(device.runs.length, 2);
    assert.equal(device.ends[0]?.code, EXIT_RESTART);
    const first = device.runs[0]!;
    assert.ok(
      first.logLines().some((l) => /firmware: downloaded xs-lwm2m 0\.2\.0/.test(l)),
      'the first run downloaded it',
    );
    const second = device.runs[1]!;
    assert.ok(second.proc.grep(/^\[lin\] bootloader: running ota_0/).length > 0, 'the next boot runs ota_0');
    assert.ok(
      second.logLines().some((l) => /firmware: running 0\.2\.0, boot trial/.test(l)),
      'on trial',
    );
    assert.ok(second.logLines().some((l) => /firmware: updated from 0\.1\.0 to 0\.2\.0/.test(l)));
    const d = otadata();
    assert.equal(d.boot, 0);
    assert.equal(d.state[0], 2, 'ota_0 confirmed (VALID) once registered');
    assert.equal(d.length[0], image.length);
    assert.deepEqual(device.xsErrors(), []);

    // Figures for the report: XS heaps of the run that downloaded, the time of the restart.
    const peaks: MemoryPeaks = memoryPeaks(first.instruments());
    const executed = events.find((e) => e.type === 'executed')!.at;
    const delivered = events.find((e) => e.type === 'delivered')!.at;
    const downloaded = events.find((e) => e.type === 'state' && e.state === 2)?.at ?? executed;
    const reRegistered = registrations()[registrations().length - 1]!.at;
    console.log(
      `      image ${image.length} B pulled in ${downloaded - delivered} ms (${Math.round(image.length / 1024 / ((downloaded - delivered) / 1000))} KiB/s); ` +
        `Update → process ended ${device.ends[0]!.at - executed} ms → registered again ${reRegistered - device.ends[0]!.at} ms (lin restart: start of mcsim, boot, Wi-Fi sim, Register); whole update ${Date.now() - t0} ms`,
    );
    console.log(
      `      XS during the run that downloaded (debug build, 1 s samples): slots up to ${peaks.slots}/${peaks.slotLimit}, chunk ${peaks.chunkBytes}/${peaks.chunkLimit} B (64-bit host, garbage included), stack ${peaks.stack}/${peaks.stackLimit} slots, ${peaks.garbageCollections} GCs`,
    );
    assert.equal(peaks.modulesLoaded, 0, 'every module preloaded, the ota shims too');
    assert.ok(peaks.stack <= 0.75 * peaks.stackLimit, `stack peak ${peaks.stack}`);
  });

  it('rolls back an image that crashes before it registers: the trial run ends, the next boot runs the previous image, which reports Update Result 8', async function () {
    assert.ok(device, 'the first update ran');
    const runsBefore = device.runs.length;
    const image = makeHostImage('xs-lwm2m', BROKEN_VERSION, new Uint8Array(randomBytes(64 * 1024)), sha256);
    const outcome = await updateFirmware(server, EP, image, { method: 'pull', name: 'lin-broken.bin', restartTimeoutMs: 60_000 });
    assert.equal(outcome.ok, false, 'the update failed');
    assert.equal(outcome.result, 8, `${outcome.reason}\n${device.log()}`);
    // Update → reset (75); the trial crashes at start (70); the next boot rolls back.
    assert.deepEqual(
      device.ends.slice(runsBefore - 1).map((e) => e.code),
      [EXIT_RESTART, EXIT_CRASH],
    );
    const last = device.current;
    assert.ok(last.proc.grep(/^\[lin\] bootloader: ota_1 was not confirmed; rolled back/).length > 0);
    assert.ok(last.logLines().some((l) => /firmware: running 0\.2\.0, boot rolled-back/.test(l)));
    assert.ok(last.logLines().some((l) => /firmware: update to 0\.3\.0-broken failed/.test(l)));
    const v = await server.read(EP, '/3/0/3');
    assert.equal(v.records?.[0]?.value, NEW_VERSION, 'back on the previous image');
    const d = otadata();
    assert.equal(d.boot, 0);
    assert.equal(d.state[1], 4, 'ota_1 ABORTED');
    assert.deepEqual(device.xsErrors(), []);
  });

  it('downloads within the ESP32 heaps: live slot and chunk peaks after a GC at every datagram it sends (probe build)', async function () {
    this.timeout(10 * 60_000);
    await device?.stop();
    const probeDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-fota-probe-'));
    try {
      const { so: probeSo } = await buildLin(sdk, {
        name: 'lin-fota-probe',
        mode: 'instrument',
        manifest: join(REPO, 'host-tests/moddable/probe/manifest.json'),
        config: {
          endpoint: EP,
          bootstrap: `coap://127.0.0.1:${bsUdp.port}`,
          flashDirectory: `${probeDir}/`,
          logLevel: 'info',
          firmwareVersion: FACTORY_VERSION,
        },
      });
      const before = registrations().length;
      device = new LinDevice(sdk, probeSo, 'lin-fota-probe');
      device.start();
      await until(
        () => registrations().length > before,
        30_000,
        'the probe firmware to register',
        () => device!.log(),
      );
      const peer = server.clients.get(EP)!.peer;
      const report = async () =>
        JSON.parse(
          utf8Decode(
            (await server.endpoint.request({ address: peer.address, port: peer.port }, { method: Code.GET, path: ['probe', 'report'] }))
              .payload ?? new Uint8Array(0),
          ),
        ) as { live: { slotBytes: number; chunkBytes: number; samples: number; slotPeakAt: string } };
      const atRegistration = (await report()).live;
      const image = makeHostImage('xs-lwm2m', NEW_VERSION, new Uint8Array(randomBytes(IMAGE_BODY)), sha256);
      const uri = `${await server.serveFile('probe.bin', image, EP)}#sha256=${Buffer.from(sha256(image)).toString('hex')}`;
      const w = await server.write(EP, '/5/0/1', uri);
      assert.equal(w.code, '2.04');
      const deadline = Date.now() + 60_000;
      for (let state: unknown; state !== 2;) {
        if (Date.now() > deadline) throw new Error(`no Downloaded state within 60 s\n${device.log()}`);
        await new Promise((r) => setTimeout(r, 250));
        state = (await server.read(EP, '/5/0/3')).records?.[0]?.value;
      }
      const atDownload = (await report()).live;
      const slots = (b: number) => Math.round(b / HOST_SLOT_BYTES);
      console.log(
        `      live after GC, 64-bit host: at registration ${slots(atRegistration.slotBytes)} slots / ${atRegistration.chunkBytes} B chunk; ` +
          `through the ${image.length}-byte download (${atDownload.samples} samples, one per datagram sent) ${slots(atDownload.slotBytes)} slots / ${atDownload.chunkBytes} B chunk ` +
          `(peak at: ${atDownload.slotPeakAt}); limits 4095 slots / 65536 B`,
      );
      assert.ok(slots(atDownload.slotBytes) < 4095 * 0.8, 'the live slot peak leaves a fifth of the heap');
      assert.ok(atDownload.chunkBytes < 65536 * 0.8, 'and of the chunk heap');
      assert.deepEqual(device.xsErrors(), []);
    } finally {
      await device?.stop();
      rmSync(probeDir, { recursive: true, force: true });
    }
  });
});

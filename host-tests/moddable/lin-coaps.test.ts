// The whole firmware over coaps (DTLS 1.2 with pre-shared keys) on the
// Moddable Linux runtime with the ESP32 memory limits: built with
// bootstrap=coaps://… pskIdentity=… pskKey=… (the device's PSK provisioning),
// it bootstraps from the host Bootstrap-Server's coaps port, registers with the
// host LwM2M Server's coaps port using the PSK the Bootstrap-Server wrote, and
// serves the same Read / Write / Observe / Execute flow as lin-flow.test.ts;
// nothing goes in the clear, no key reaches its console, and after a power cut
// it registers again over coaps from what it stored. A build with a coaps://
// bootstrap URI and no PSK refuses to start the client and says why.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '../../firmware/coap/message';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import type { DatagramTransport } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { deviceManagementFlow, until } from './flow';
import { LinFirmware, memoryPeaks } from './lin-run';
import { buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-coaps';
const DEVICE = { manufacturer: 'xs-lwm2m', model: 'lin-coaps', serialNumber: 'LIN-0002', firmwareVersion: '0.1.0' };
/** The device's credentials at the Bootstrap-Server (build arguments), and the ones the Bootstrap-Server gives it for the LwM2M Server. */
const BS_IDENTITY = 'lin-coaps-bs';
const BS_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const SRV_IDENTITY = 'lin-coaps-srv';
const SRV_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const PEAK_SHARE = 0.75;
const quiet = consoleLogger('error');

/** Counts what crosses a socket, and how much of it decodes as plain CoAP. */
function counting(t: UdpTransport): DatagramTransport & { datagrams: number; plainCoap: number } {
  const c = {
    onReceive: null as DatagramTransport['onReceive'],
    datagrams: 0,
    plainCoap: 0,
    send(data: Uint8Array, address: string, port: number) {
      c.note(data);
      t.send(data, address, port);
    },
    close() {
      t.close();
    },
    note(data: Uint8Array) {
      c.datagrams++;
      if (decodeMessage(data).ok) c.plainCoap++;
    },
  };
  t.onReceive = (data, address, port) => {
    c.note(data);
    c.onReceive?.(data, address, port);
  };
  return c;
}

describe('firmware over coaps (DTLS PSK) on the Moddable Linux runtime with the ESP32 memory limits', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let bsWire: ReturnType<typeof counting>;
  let srvWire: ReturnType<typeof counting>;
  const serverEvents: ServerEvent[] = [];
  const bsEvents: BootstrapEvent[] = [];
  let firmware: LinFirmware | undefined;
  /** Instruments samples up to the end of the bootstrap and registration over coaps (the two DTLS handshakes). */
  let registrationSamples = 0;
  const firmwareLog = () => firmware?.proc.log(80) ?? '';

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-coaps-'));
    const bsPlain = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const bsSecure = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const srvPlain = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const srvSecure = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    bsWire = counting(bsSecure);
    srvWire = counting(srvSecure);
    const psk = new PskStore();
    psk.set(EP, SRV_IDENTITY, SRV_KEY);
    server = new LwM2MServer({
      transport: srvPlain,
      coaps: { transport: srvWire, crypto: nodeCrypto },
      psk,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => serverEvents.push(e),
    });
    bs = new BootstrapServer({
      transport: bsPlain,
      coaps: { transport: bsWire, crypto: nodeCrypto },
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: {
        format: 'tlv',
        endpoints: {
          [EP]: {
            psk: { identity: BS_IDENTITY, keyHex: toHex(BS_KEY) },
            servers: [
              {
                uri: `coaps://127.0.0.1:${srvSecure.port}`,
                ssid: 101,
                lifetime: 300,
                securityMode: 'psk',
                pskIdentity: SRV_IDENTITY,
                pskKeyHex: toHex(SRV_KEY),
              },
            ],
          },
        },
      },
      onEvent: (e) => bsEvents.push(e),
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-coaps',
      config: {
        endpoint: EP,
        bootstrap: `coaps://127.0.0.1:${bsSecure.port}`,
        pskIdentity: BS_IDENTITY,
        pskKey: toHex(BS_KEY),
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
        manufacturer: DEVICE.manufacturer,
        model: DEVICE.model,
        serialNumber: DEVICE.serialNumber,
        firmwareVersion: DEVICE.firmwareVersion,
      },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await firmware?.stop('SIGKILL');
    server?.close();
    bs?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  it('bootstraps over coaps with the built-in PSK, registers over coaps with the PSK it was given, and serves Read, Write, Observe, Execute', async () => {
    firmware = LinFirmware.start(sdk, so, 'lin-firmware (coaps)');
    const fw = firmware;
    const started = Date.now();
    await until(() => server.clients.has(EP), 30_000, 'the lin firmware to register over coaps', firmwareLog);
    const registeredAfterMs = Date.now() - started;
    assert.deepEqual(bsEvents.filter((e) => e.type === 'finished').length, 1, 'bootstrapped once');
    const reg = server.clients.get(EP)!;
    assert.equal(reg.secure, true, 'registered over coaps');
    assert.equal(reg.pskIdentity, SRV_IDENTITY);
    assert.ok(bs.dtls!.stats.handshakesCompleted >= 1 && server.dtls!.stats.handshakesCompleted >= 1);
    // One more instruments sample (they come every second) closes the bootstrap + registration phase: both handshakes.
    await new Promise((r) => setTimeout(r, 1200));
    registrationSamples = fw.instruments().length;
    const outcome = await deviceManagementFlow(server, EP, serverEvents, { manufacturer: DEVICE.manufacturer });
    console.log(
      `      registered ${registeredAfterMs} ms after start (Wi-Fi simulation, two DTLS handshakes, bootstrap, register); ` +
        `${outcome.steps.map(([s, r]) => `${s}: ${r}`).join('; ')}`,
    );
    assert.ok(bsWire.datagrams > 0 && srvWire.datagrams > 0);
    assert.equal(bsWire.plainCoap + srvWire.plainCoap, 0, 'no datagram on the coaps ports decodes as plain CoAP');
    const consoleText = fw.proc.log(2000);
    assert.match(consoleText, /boot: .*bootstrap=coaps:\/\/127\.0\.0\.1:\d+ pskIdentity="lin-coaps-bs"/);
    for (const k of [BS_KEY, SRV_KEY]) assert.ok(!consoleText.toLowerCase().includes(toHex(k)), 'no key in the firmware console');
    assert.deepEqual(fw.xsErrors(), [], 'XS reported no exception or abort');
    assert.deepEqual(
      fw.logLines().filter((l) => /\] [EW] /.test(l)),
      [],
      'no error or warning in the firmware log',
    );
  });

  it('runs within the ESP32 creation limits, every module preloaded, the stack peak within 75 % of its limit', async () => {
    assert.ok(firmware, 'the coaps run happened');
    await new Promise((r) => setTimeout(r, 1200));
    const samples = firmware.instruments();
    const peaks = memoryPeaks(samples);
    const handshakes = memoryPeaks(samples.slice(0, registrationSamples));
    const dm = memoryPeaks(samples.slice(registrationSamples));
    const line = (p: typeof peaks) =>
      `stack ${p.stack}/${p.stackLimit} slots, heaps in use (garbage included) up to ${p.slots}/${p.slotLimit} slots, ${p.chunkBytes}/${p.chunkLimit} B (64-bit host)`;
    console.log(`      bootstrap + registration over coaps (two DTLS handshakes, ${handshakes.samples} s): ${line(handshakes)}`);
    console.log(
      `      Read/Write/Observe/Execute over coaps (${dm.samples} s): ${line(dm)}; modules loaded at run time ${peaks.modulesLoaded}`,
    );
    assert.equal(peaks.slotLimit, 4096 - 1);
    assert.equal(peaks.chunkLimit, 65536);
    assert.equal(peaks.stackLimit, 1024);
    assert.equal(peaks.modulesLoaded, 0, 'every module of the firmware, DTLS and the crypt module included, is preloaded');
    assert.ok(peaks.stack <= PEAK_SHARE * peaks.stackLimit, `stack peak ${peaks.stack} of ${peaks.stackLimit} slots`);
  });

  it('after a power cut, registers again over coaps from its flash file (a new handshake), without bootstrapping', async () => {
    assert.ok(firmware, 'the coaps run happened');
    await firmware.stop('SIGKILL');
    const requests = bsEvents.filter((e) => e.type === 'request').length;
    const registrations = () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length;
    const before = registrations();
    const handshakes = server.dtls!.stats.handshakesCompleted;
    firmware = LinFirmware.start(sdk, so, 'lin-firmware (coaps, restarted)');
    await until(() => registrations() > before, 30_000, 'the restarted firmware to register over coaps', firmwareLog);
    assert.equal(bsEvents.filter((e) => e.type === 'request').length, requests, 'no Bootstrap-Request after the restart');
    assert.equal(server.clients.get(EP)?.secure, true);
    assert.ok(server.dtls!.stats.handshakesCompleted > handshakes, 'a new DTLS handshake');
    const back = await server.read(EP, '/3/0/14');
    assert.equal(back.code, '2.05');
    assert.equal(back.records?.[0]?.value, '+01:00', 'UTC Offset written before the power cut survives it');
    assert.deepEqual(firmware.xsErrors(), []);
    await firmware.stop();
  });

  describe('built with a coaps:// bootstrap URI and no PSK', () => {
    let noPskSo: string;

    before(async function () {
      this.timeout(10 * 60_000);
      ({ so: noPskSo } = await buildLin(sdk, {
        name: 'lin-coaps-nopsk',
        config: { endpoint: EP, bootstrap: 'coaps://127.0.0.1:5686', pskIdentity: BS_IDENTITY, flashDirectory: `${flashDir}/nopsk-` },
      }));
    });

    it('does not start the client, and says which build arguments are missing', async () => {
      firmware = LinFirmware.start(sdk, noPskSo, 'lin-firmware (coaps, no key)');
      const fw = firmware;
      const line = await fw.waitForLog(/boot: bootstrap=coaps:\/\/.*/, 10_000);
      assert.match(line[0], /pskIdentity= is given without pskKey=; the LwM2M client is not started/);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(
        fw.logLines().filter((l) => /client: starting|wifi: /.test(l)),
        [],
        'no client, no Wi-Fi',
      );
      assert.deepEqual(fw.xsErrors(), []);
      await fw.stop();
    });
  });
});

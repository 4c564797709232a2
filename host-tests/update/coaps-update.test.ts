// A firmware update over coaps: a client registered with a PSK pulls its
// image over DTLS (the Package URI our server writes names its coaps port,
// and the download rides the client's session with the server), and a push
// goes over the same session; both end with Update Result 1 and the new /3/0/3.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer } from '../../host/lwm2m-server';
import { updateFirmware, type FirmwareUpdateEvent } from '../../host/firmware-update-job';
import { PskStore } from '../../host/psk-store';
import { startNodeDevice, type NodeDevice } from '../../host/runtime';
import { testImage } from './support/images';

const EP = 'fota-coaps';
const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const KiB = 1024;

describe('firmware update over coaps (DTLS PSK)', function () {
  this.timeout(60_000);
  let server: LwM2MServer;
  let device: NodeDevice;
  let coapsPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-coaps-update-'));

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const secure = await openUdp({ address: '127.0.0.1', log: silentLogger });
    coapsPort = secure.port;
    const psk = new PskStore();
    psk.set(EP, EP, KEY);
    server = new LwM2MServer({
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      psk,
      coaps: { transport: secure, crypto: nodeCrypto },
    });
    const registered = new Promise<void>((resolve) => {
      server.listeners.add((e) => {
        if (e.type === 'registered' && e.reg.endpoint === EP) resolve();
      });
    });
    device = await startNodeDevice({
      endpointName: EP,
      serverUri: `coaps://127.0.0.1:${coapsPort}`,
      psk: { identity: EP, key: KEY },
      log: silentLogger,
      stateDir: join(dir, 'state'),
      firmware: { dir: join(dir, 'fw'), capacity: 512 * KiB },
    });
    await registered;
  });

  after(async () => {
    await device?.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [method, version] of [
    ['pull', '5.0.0'],
    ['push', '6.0.0'],
  ] as const) {
    it(`${method}: Update Result 1 and /3/0/3 ${version}, every exchange over the DTLS session`, async () => {
      const events: FirmwareUpdateEvent[] = [];
      const plainBefore = server.endpoint.stats.received;
      const r = await updateFirmware(server, EP, testImage(version, 128 * KiB), {
        method,
        name: `fw-${version}.img`,
        onEvent: (e) => events.push(e),
      });
      assert.ok(r.ok, r.reason);
      assert.equal(r.result, 1);
      assert.equal(r.version, version);
      assert.equal(device.version, version);
      const start = events.find((e) => e.type === 'start');
      if (method === 'pull')
        assert.match(
          start && 'uri' in start ? (start.uri ?? '') : '',
          new RegExp(`^coaps://127\\.0\\.0\\.1:${coapsPort}/fw/fw-${version}\\.img#sha256=[0-9a-f]{64}$`),
        );
      assert.equal(server.endpoint.stats.received, plainBefore, 'nothing reached the plain coap port');
      assert.equal(server.clients.get(EP)?.secure, true, 'registered again over coaps');
    });
  }
});

// The Node example (examples/node-sensors/app.mjs) as a user runs it: plain
// `node`, importing the package by its name (the built dist/ entry, no tsx),
// bootstrapping from our Bootstrap-Server and serving its own objects to our
// LwM2M Server over loopback UDP; then Reboot and Factory Reset restart it
// in its process, from its state directory or from the factory configuration.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentFormat } from '../../firmware/formats';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { ManagedProcess } from '../support/managed-process';

const EP = 'node-example-1';
const quiet = consoleLogger('error');

async function until(pred: () => boolean, ms: number, what: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the Node example app on the npm package (plain node, own objects, Reboot, Factory Reset)', function () {
  this.timeout(60_000);
  let bsUdp: UdpTransport, srvUdp: UdpTransport;
  let server: LwM2MServer, bs: BootstrapServer;
  let app: ManagedProcess;
  let stateDir: string;
  const serverEvents: ServerEvent[] = [];
  const bsEvents: BootstrapEvent[] = [];
  const registrations = () => serverEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP).length;
  const bootstraps = () => bsEvents.filter((e) => e.type === 'request').length;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-node-example-'));
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
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 1, lifetime: 300 }] } } },
    });
    app = new ManagedProcess('node example', process.execPath, [
      'examples/node-sensors/app.mjs',
      `coap://127.0.0.1:${bsUdp.port}`,
      EP,
      stateDir,
    ]);
  });

  after(async () => {
    await app?.stop();
    server?.close();
    bs?.close();
    bsUdp?.close();
    srvUdp?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('bootstraps, registers its objects and serves them: a live temperature, a light whose Write reaches the app', async () => {
    await until(
      () => server.clients.has(EP),
      20_000,
      'registration',
      () => app.log(40),
    );
    const links = server.clients.get(EP)!.links.map((l) => l.target);
    for (const t of ['/3303/0', '/3311/0', '/3347/0', '/3341']) assert.ok(links.includes(t), `${t} in ${links.join(',')}`);
    const t = await server.read(EP, '/3303/0/5700', ContentFormat.TEXT);
    assert.equal(t.code, '2.05');
    assert.ok(Math.abs(Number(t.text) - 21) < 1, `a temperature near 21 °C: ${t.text}`);
    assert.equal((await server.read(EP, '/3303/0/5701', ContentFormat.TEXT)).text, 'Cel');
    assert.equal((await server.write(EP, '/3311/0/5850', true, { format: ContentFormat.TEXT })).code, '2.04');
    await app.waitForLine(/^light: on, dimmer 100$/, 5000);
    assert.equal((await server.write(EP, '/3311/0/5851', 101, { format: ContentFormat.TEXT })).code, '4.00', 'Dimmer is 0..100');
    const c = await server.create(EP, '/3341', [{ path: { objectId: 3341, instanceId: 0, resourceId: 5527 }, value: 'hello' }]);
    assert.equal(c.code, '2.01');
    assert.equal((await server.read(EP, '/3341/0/5527', ContentFormat.TEXT)).text, 'hello');
    assert.equal((await server.delete(EP, '/3341/0')).code, '2.02');
  });

  it('Reboot (/3/0/4): restarts in its process and registers again from its state directory, no bootstrap', async () => {
    const [regs, bss] = [registrations(), bootstraps()];
    assert.equal((await server.execute(EP, '/3/0/4')).code, '2.04');
    await until(
      () => registrations() > regs,
      20_000,
      're-registration',
      () => app.log(40),
    );
    assert.equal(bootstraps(), bss, 'no Bootstrap-Request after Reboot');
    assert.equal((await server.read(EP, '/3303/0/5700', ContentFormat.TEXT)).code, '2.05');
  });

  it('Factory Reset (/3/0/5): forgets its configuration, bootstraps again and registers', async () => {
    const [regs, bss] = [registrations(), bootstraps()];
    assert.equal((await server.execute(EP, '/3/0/5')).code, '2.04');
    await until(
      () => registrations() > regs,
      30_000,
      're-registration after Factory Reset',
      () => app.log(40),
    );
    assert.equal(bootstraps(), bss + 1, 'one Bootstrap-Request');
  });
});

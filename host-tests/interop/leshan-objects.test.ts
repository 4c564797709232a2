// Eclipse Leshan drives the application objects of the Node example
// (examples/node-sensors/app.mjs, run with plain node on the npm package):
// it bootstraps from our Bootstrap-Server and registers with the Leshan demo
// server, which reads the temperature the app feeds, observes it with
// pmin/pmax/st, switches the light, discovers /3303/0, creates and deletes a
// display instance, then reboots the device (it registers again without a
// bootstrap) and factory-resets it (it bootstraps again).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { ManagedProcess } from '../support/managed-process';
import {
  ensureLeshan,
  resourceValue,
  startLeshanServer,
  stopAllJava,
  type LeshanEventStream,
  type LeshanServerHandle,
} from './leshan/harness';

const EP = 'xs-lwm2m-objects';
const quiet = consoleLogger('error');

describe("Leshan drives the application's own objects (Node example on the npm package)", function () {
  this.timeout(60_000);
  let leshan: LeshanServerHandle;
  let events: LeshanEventStream;
  let bsUdp: UdpTransport;
  let bs: BootstrapServer;
  let app: ManagedProcess;
  let stateDir: string;
  const bsEvents: BootstrapEvent[] = [];
  const bootstraps = () => bsEvents.filter((e) => e.type === 'request').length;
  const registrations = () => events.ofType('REGISTRATION').length;

  before(async function () {
    this.timeout(12 * 60_000); // a cold Maven fetch, bounded inside ensureLeshan
    await ensureLeshan();
    leshan = await startLeshanServer();
    events = await leshan.rest.events(EP);
    stateDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-leshan-objects-'));
    bsUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => bsEvents.push(e),
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: leshan.coapUri, ssid: 1, lifetime: 120 }] } } },
    });
    app = new ManagedProcess('node example', process.execPath, [
      'examples/node-sensors/app.mjs',
      `coap://127.0.0.1:${bsUdp.port}`,
      EP,
      stateDir,
    ]);
    await leshan.rest.waitForRegistration(EP, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${app.log(40)}`);
    });
  });

  after(async function () {
    this.timeout(30_000);
    events?.close();
    await app?.stop();
    bs?.close();
    bsUdp?.close();
    await stopAllJava();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('reads /3303/0/5700, the temperature the app feeds', async () => {
    const r = await leshan.rest.read(EP, '/3303/0/5700', { format: 'TLV' });
    assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
    const v = Number(r.content?.value);
    assert.ok(v > 15 && v < 30, `a room temperature: ${v}`);
  });

  it('observes it with pmin/pmax/st and is notified when the app changes the value', async function () {
    this.timeout(40_000);
    const a = await leshan.rest.writeAttributes(EP, '/3303/0/5700', { pmin: 1, pmax: 120, st: 0.001 });
    assert.equal(a.code, '2.04', `${a.status} ${a.errormessage ?? ''}`);
    const o = await leshan.rest.observe(EP, '/3303/0/5700', { format: 'TLV' });
    assert.equal(o.code, '2.05', `${o.status} ${o.errormessage ?? ''}`);
    // The app reads its sensor every 5 s; pmax is 2 minutes away, so a notification now is the app's change.
    const notes = await events.notifications(EP, '/3303/0/5700', 1, 25_000);
    assert.ok(notes.length >= 1);
    await leshan.rest.cancelObservation(EP, '/3303/0/5700');
  });

  it("writes /3311/0/5850 and the app's callback switches the light", async () => {
    const w = await leshan.rest.writeResource(EP, '/3311/0/5850', true, { format: 'TLV' });
    assert.equal(w.code, '2.04', `${w.status} ${w.errormessage ?? ''}`);
    await app.waitForLine(/^light: on/, 5000);
    const back = await leshan.rest.read(EP, '/3311/0/5850', { format: 'TLV' });
    assert.equal(back.content?.value, true);
  });

  it('discovers /3303/0: the resources the sensor serves', async () => {
    const d = await leshan.rest.discover(EP, '/3303/0');
    assert.equal(d.code, '2.05', `${d.status} ${d.errormessage ?? ''}`);
    const urls = (d.objectLinks ?? []).map((l) => l.url);
    // 5518 Timestamp too: the example gives the sensor a clock.
    assert.deepEqual(urls, [
      '/3303/0',
      '/3303/0/5518',
      '/3303/0/5601',
      '/3303/0/5602',
      '/3303/0/5603',
      '/3303/0/5604',
      '/3303/0/5605',
      '/3303/0/5700',
      '/3303/0/5701',
    ]);
  });

  it('creates and deletes an instance of an application object (/3341)', async () => {
    const c = await leshan.rest.create(EP, '/3341', { id: 2, resources: [{ id: 5527, value: 'hello' }] }, { format: 'TLV' });
    assert.equal(c.code, '2.01', `${c.status} ${c.errormessage ?? ''}`);
    const r = await leshan.rest.read(EP, '/3341/2', { format: 'TLV' });
    assert.equal(resourceValue(r.content, 5527), 'hello');
    const del = await leshan.rest.delete(EP, '/3341/2');
    assert.equal(del.code, '2.02', `${del.status} ${del.errormessage ?? ''}`);
    assert.equal((await leshan.rest.read(EP, '/3341/2', { format: 'TLV' })).code, '4.04');
  });

  it('executes /3/0/4 (Reboot): the client registers again without bootstrapping', async function () {
    this.timeout(40_000);
    const [regs, bss] = [registrations(), bootstraps()];
    const x = await leshan.rest.execute(EP, '/3/0/4');
    assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
    await events.waitFor('REGISTRATION', 30_000, () => registrations() > regs, true);
    assert.equal(bootstraps(), bss, 'no Bootstrap-Request after Reboot');
  });

  it('executes /3/0/5 (Factory Reset): the client bootstraps again and registers', async function () {
    this.timeout(40_000);
    const [regs, bss] = [registrations(), bootstraps()];
    const x = await leshan.rest.execute(EP, '/3/0/5');
    assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
    await events.waitFor('REGISTRATION', 30_000, () => registrations() > regs, true);
    assert.equal(bootstraps(), bss + 1, 'one Bootstrap-Request after Factory Reset');
  });
});

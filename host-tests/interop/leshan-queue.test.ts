// Queue Mode with Eclipse Leshan 2.0.0-M4: our client registers with Q and
// turns its radio off MAX_TRANSMIT_WAIT (93 s) after the last message it
// sent — the time Leshan counts a queue-mode client awake. Leshan does not
// queue requests itself: a Read while the client sleeps is refused by Leshan
// ("the destination client is sleeping", its QueueModeLwM2mRequestSender),
// and answered once the client's Registration Update has woken it; a value
// that changed while the client slept is notified to Leshan after that wake.
import assert from 'node:assert/strict';
import { LwM2MClient, type ClientEvent } from '../../firmware/lwm2m/engine/client';
import { consoleLogger, nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { ensureLeshan, startLeshanServer, stopAllJava, type LeshanEventStream, type LeshanServerHandle } from './leshan/harness';

const EP = 'xs-lwm2m-queue';
const quiet = consoleLogger('error');
const LIFETIME = 200; // the Update goes at 107 s (max(lt/2, lt − 93 s)), 14 s after the radio went off

describe('Queue Mode with Leshan: a sleeping client is reached after its next wake', function () {
  this.timeout(240_000);
  let leshan: LeshanServerHandle;
  let events: LeshanEventStream;
  let udp: UdpTransport;
  let client: LwM2MClient;
  const radio: Array<{ at: number; on: boolean }> = [];

  const until = async (pred: () => boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async function () {
    this.timeout(12 * 60_000);
    await ensureLeshan();
    leshan = await startLeshanServer();
    events = await leshan.rest.events(EP);
    udp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    client = new LwM2MClient({
      endpointName: EP,
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: consoleLogger(process.env.QUEUE_LOG ? 'debug' : 'error'),
      wallClock: nodeWallClock,
      factory: { servers: [{ uri: leshan.coapUri, ssid: 1, lifetime: LIFETIME }] },
      device: { manufacturer: 'xs-lwm2m', modelNumber: 'queue', serialNumber: 'Q1', firmwareVersion: '0.1.0' },
      queueMode: {},
      onEvent: (e: ClientEvent) => {
        if (e.type === 'radio') radio.push({ at: Date.now(), on: e.on });
      },
    });
    client.start();
    await leshan.rest.waitForRegistration(EP, 30_000);
    assert.ok(client.setValue('/3/0/9', 80));
  });

  after(async function () {
    this.timeout(30_000);
    events?.close();
    await client?.stop().catch(() => undefined);
    udp?.close();
    await stopAllJava();
  });

  it('registers in queue mode', async () => {
    const reg = (await leshan.rest.getClient(EP)) as unknown as Record<string, unknown>;
    assert.equal(reg.queuemode ?? reg.queueMode, true, JSON.stringify(reg));
  });

  it('sleeps, is refused by Leshan while asleep, wakes for its Update and answers; a change made in its sleep reaches Leshan after the wake', async () => {
    const o = await leshan.rest.observe(EP, '/3/0/9', { format: 'TEXT' });
    assert.equal(o.code, '2.05', `${o.status} ${o.errormessage ?? ''}`);
    await until(() => radio.at(-1)?.on === false, 120_000, 'the radio to go off');
    const sleptAt = Date.now();
    const asleep = await leshan.rest.read(EP, '/3/0/0', { format: 'TEXT' }).then(
      (r) => `${r.code} ${r.errormessage ?? ''}`,
      (e: Error) => e.message,
    );
    assert.match(asleep, /sleeping/i, 'Leshan itself refuses a request to a sleeping client');
    const before = events.ofType('NOTIFICATION').length;
    client.setValue('/3/0/9', 42);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(events.ofType('NOTIFICATION').length, before, 'nothing sent while asleep');
    await until(() => radio.some((x) => x.on && x.at > sleptAt), 60_000, 'the wake for the Registration Update');
    const notes = await events.notifications(EP, '/3/0/9', 1, 20_000);
    assert.ok(notes.length >= 1);
    const r = await leshan.rest.read(EP, '/3/0/0', { format: 'TEXT' });
    assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
    assert.equal(r.content?.value, 'xs-lwm2m');
  });
});

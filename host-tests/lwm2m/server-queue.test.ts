// Queue Mode, server side (Transport §6.5) in virtual time: requests to a
// client that registered with Q wait while it sleeps and go, one at a time,
// once it is heard from; the queue is bounded, each operation expires, and
// the console's device record shows the client asleep or awake with what
// waits for it.
import assert from 'node:assert/strict';
import { ContentFormat } from '../../firmware/formats';
import { DeviceLog } from '../../host/console/device-log';
import { EventStream } from '../../host/console/event-stream';
import { openRig, RIG_LIFETIME, type Rig } from '../support/rig';

const AWAKE_MS = 5000;

describe('queue mode (server): requests wait for a sleeping client', function () {
  let h: Rig;
  const ep = () => h.endpointName;
  /** Datagrams the server sent to the client since `from` (virtual ms). */
  const toClientSince = (from: number) => h.wire.filter((w) => w.to === h.clientAddr && w.from === h.serverAddr[0] && w.at >= from);

  beforeEach(async () => {
    h = await openRig({
      kind: 'memory',
      registered: true,
      client: { queueMode: { awakeMs: AWAKE_MS } },
      serverQueue: { awakeMs: AWAKE_MS, maxQueued: 3, expiryMs: 600_000 },
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('knows the client registered in Queue Mode, and when it takes it to sleep', async () => {
    const reg = h.server.clients.get(ep())!;
    assert.equal(reg.queueMode, true);
    assert.equal(h.server.presence.isAwake(ep()), true);
    await h.advance(AWAKE_MS + 100);
    assert.equal(h.server.presence.isAwake(ep()), false);
    const presence = h.serverEvents[0]!.filter((e) => e.type === 'presence').map((e) => (e as { awake: boolean }).awake);
    assert.deepEqual(presence, [true, false]);
  });

  it('keeps requests while the client sleeps and sends them one at a time after its Update', async () => {
    await h.advance(AWAKE_MS + 100);
    const asleepAt = h.timers.now();
    const results: string[] = [];
    const read = h.server.read(ep(), '/3/0/0', ContentFormat.TEXT).then((r) => {
      results.push(`read ${r.code} ${r.text}`);
    });
    const write = h.server.write(ep(), '/3/0/14', '+01:00', { format: ContentFormat.TEXT }).then((r) => {
      results.push(`write ${r.code}`);
    });
    await h.advance(10_000);
    assert.equal(toClientSince(asleepAt).length, 0, 'nothing sent to a sleeping client');
    assert.deepEqual(
      h.server.presence.queued(ep()).map((q) => q.what),
      ['Read /3/0/0', 'Write /3/0/14'],
    );
    // The Registration Update (lifetime 300 s, 93 s early) wakes it; the queue goes, in order.
    await h.clock!.runUntil(() => results.length === 2, RIG_LIFETIME * 1000);
    await Promise.all([read, write]);
    assert.deepEqual(results, ['read 2.05 Test', 'write 2.04']);
    assert.deepEqual(h.server.presence.queued(ep()), []);
  });

  it('bounds the queue (past it: refused at once), and drops an operation its client did not wake for in time', async () => {
    await h.close();
    h = await openRig({
      kind: 'memory',
      registered: true,
      client: { queueMode: { awakeMs: AWAKE_MS } },
      serverQueue: { awakeMs: AWAKE_MS, maxQueued: 2, expiryMs: 30_000 },
    });
    await h.advance(AWAKE_MS + 100);
    const outcomes = ['/3/0/0', '/3/0/1', '/3/0/2'].map((p) =>
      h.server.read(ep(), p, ContentFormat.TEXT).then(
        () => 'answered',
        (e: Error) => e.message,
      ),
    );
    await h.advance(100);
    assert.match(await outcomes[2]!, /is asleep and 2 operations already wait for it; Read \/3\/0\/2 not queued/);
    await h.advance(31_000);
    assert.match(await outcomes[0]!, /did not wake within 30 s; Read \/3\/0\/0 was not sent/);
    assert.match(await outcomes[1]!, /did not wake within 30 s/);
  });

  it('shows the device asleep or awake in the console, with what waits for it', async () => {
    const log = new DeviceLog(h.server, new EventStream());
    try {
      await h.advance(AWAKE_MS + 100);
      let d = log.get(ep())!;
      assert.equal(d.queueMode, true);
      assert.equal(d.awake, false);
      assert.equal(d.history.at(-1)?.event, 'asleep');
      const read = h.server.read(ep(), '/3/0/0', ContentFormat.TEXT);
      await h.advance(10);
      assert.deepEqual(
        log.get(ep())!.queued?.map((q) => q.what),
        ['Read /3/0/0'],
        'the record lists the queued operation at once',
      );
      await h.clock!.runUntil(() => log.get(ep())!.awake === true, RIG_LIFETIME * 1000);
      d = log.get(ep())!;
      const woke = d.history.filter((x) => x.event === 'awake').at(-1);
      assert.equal(woke?.detail, '1 operation queued', 'the wake lists what waited for it');
      assert.deepEqual(d.queued, [], 'sent once it woke');
      assert.equal((await h.settle(read)).code, '2.05');
    } finally {
      log.close();
    }
  });
});

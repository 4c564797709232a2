// Queue Mode, client side (Core 1.1 §6.5, Transport §6.5) in virtual time:
// the client registers with Q, turns its radio off a listening window after
// the last message it sent, wakes for the Registration Update, for a pmax
// that is due and when the application asks; a value that changes while the
// radio is off is notified at the next wake (the newest value), not at once.
import assert from 'node:assert/strict';
import { OptionNumber } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats';
import { utf8Decode } from '../../firmware/util/utf8';
import { openRig, RIG_LIFETIME, type Rig } from '../support/rig';

const AWAKE_MS = 5000;

describe('queue mode (client): radio off after a listening window, woken by what it must send', function () {
  let h: Rig;
  /** The radio's transitions as the platform's power port saw them. */
  const radio: Array<{ at: number; on: boolean }> = [];
  const offs: Array<number | undefined> = [];
  const ep = () => h.endpointName;
  /** Datagrams the client sent since `from` (virtual ms). */
  const sentSince = (from: number) => h.wire.filter((w) => w.from === h.clientAddr && w.at >= from);

  beforeEach(async () => {
    radio.length = 0;
    offs.length = 0;
    h = await openRig({
      kind: 'memory',
      registered: true,
      client: {
        queueMode: {
          awakeMs: AWAKE_MS,
          power: {
            off: (next) => {
              offs.push(next);
              radio.push({ at: h.timers.now(), on: false });
            },
            on: () => {
              radio.push({ at: h.timers.now(), on: true });
            },
          },
        },
      },
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('registers with Q (Core 1.1 §6.2.1) and turns the radio off one listening window after the last message', async () => {
    const register = h.wire.find(
      (w) =>
        w.from === h.clientAddr &&
        w.message.code === 2 &&
        w.message.options.some((o) => o.number === OptionNumber.URI_PATH && utf8Decode(o.value) === 'rd'),
    );
    const query = register!.message.options.filter((o) => o.number === OptionNumber.URI_QUERY).map((o) => utf8Decode(o.value));
    assert.ok(query.includes('Q'), query.join('&'));
    assert.ok(query.includes('b=U'));
    const lastSent = Math.max(...h.wire.filter((w) => w.from === h.clientAddr).map((w) => w.at));
    await h.advance(AWAKE_MS + 100);
    assert.equal(radio.length, 1);
    assert.equal(radio[0]!.on, false);
    assert.ok(
      radio[0]!.at - lastSent >= AWAKE_MS && radio[0]!.at - lastSent < AWAKE_MS + 50,
      `off ${radio[0]!.at - lastSent} ms after the last send`,
    );
    // The platform learns when the radio is next needed: the Registration Update (lifetime 300 s, sent 93 s early).
    assert.ok(
      offs[0] !== undefined && Math.abs(offs[0] - ((RIG_LIFETIME - 93) * 1000 - (radio[0]!.at - lastSent))) < 1000,
      `next wake in ${offs[0]} ms`,
    );
  });

  it('hears nothing while the radio is off: a request then goes unanswered', async () => {
    await h.advance(AWAKE_MS + 100);
    const read = h.server.read(ep(), '/3/0/0', ContentFormat.TEXT).then(
      () => 'answered',
      () => 'unanswered',
    );
    await h.advance(100_000);
    assert.equal(await read, 'unanswered');
    assert.ok(h.client.queue!.stats.droppedWhileOff > 0);
  });

  it('wakes for the Registration Update, then listens a window and sleeps again', async () => {
    await h.advance(AWAKE_MS + 100);
    const updatesBefore = h.serverEvents[0]!.filter((e) => e.type === 'updated').length;
    const updated = () => h.serverEvents[0]!.filter((e) => e.type === 'updated').length > updatesBefore;
    assert.ok(await h.clock!.runUntil(updated, (RIG_LIFETIME - 93) * 1000));
    assert.deepEqual(
      radio.map((r) => r.on),
      [false, true],
    );
    // While it listens, the server's request is answered.
    const r = await h.settle(h.server.read(ep(), '/3/0/0', ContentFormat.TEXT));
    assert.equal(r.text, 'Test');
    await h.advance(AWAKE_MS + 100);
    assert.deepEqual(
      radio.map((x) => x.on),
      [false, true, false],
    );
  });

  it('keeps a changed value for the next wake (the newest one), and wakes for a pmax that is due', async () => {
    assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3/0/9', { pmin: 0, pmax: 60 }))).code, '2.04');
    h.client.setValue('/3/0/9', 50);
    const seen: unknown[] = [];
    const o = await h.settle(h.server.observe(ep(), '/3/0/9', (res) => seen.push(res.records?.[0]?.value), ContentFormat.TEXT));
    assert.equal(o.first.code, '2.05');
    await h.advance(AWAKE_MS + 100);
    assert.equal(radio.at(-1)?.on, false);
    const asleepAt = h.timers.now();
    h.client.setValue('/3/0/9', 40);
    h.client.setValue('/3/0/9', 30);
    await h.advance(20_000);
    assert.deepEqual(seen, [], 'nothing sent while the radio is off');
    assert.equal(sentSince(asleepAt).length, 0);
    // pmax 60 s after the last notification (the Observe's answer): the radio comes on for it, with the newest value.
    await h.advance(45_000);
    assert.deepEqual(seen, [30]);
    const woke = radio.find((r) => r.on && r.at > asleepAt);
    assert.ok(woke && woke.at - asleepAt >= 50_000, `the radio came on for the pmax (${JSON.stringify(radio)})`);
    await h.settle(o.cancel());
  });

  it('wakes when the application asks: the waiting notification goes at once', async () => {
    h.client.setValue('/3/0/9', 50);
    const seen: unknown[] = [];
    const o = await h.settle(h.server.observe(ep(), '/3/0/9', (res) => seen.push(res.records?.[0]?.value), ContentFormat.TEXT));
    await h.advance(AWAKE_MS + 100);
    h.client.setValue('/3/0/9', 20);
    await h.advance(1000);
    assert.deepEqual(seen, []);
    h.client.wake('battery low');
    await h.advance(1000);
    assert.deepEqual(seen, [20]);
    assert.equal(radio.at(-1)?.on, true);
    assert.ok(sentSince(h.timers.now() - 1000).length >= 1, 'the notification went out');
    await h.settle(o.cancel());
  });
});

describe('queue mode (client): the radio events reach the application', () => {
  it('emits radio off and on as ClientEvents', async () => {
    const h = await openRig({ kind: 'memory', registered: true, client: { queueMode: { awakeMs: AWAKE_MS } } });
    try {
      await h.advance(AWAKE_MS + 100);
      h.client.wake('test');
      assert.deepEqual(
        h.events.filter((e) => e.type === 'radio'),
        [
          { type: 'radio', on: false },
          { type: 'radio', on: true },
        ],
      );
    } finally {
      await h.close();
    }
  });
});

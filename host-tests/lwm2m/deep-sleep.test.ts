// Deep sleep with the session kept, in virtual
// time: a queue-mode client with retained memory writes its session there when
// the radio goes off; the "device" then sleeps (the client stops without a
// word, rig.deepSleep) and a fresh client boots on the same store and retained
// memory. It must carry on registered — an Update when due, never a Register —
// with its observations (token, last values, Observe numbers), its CoAP
// Message IDs moving on, no flash write, and over coaps its DTLS session: kept
// as it was with a Connection ID (no handshake), resumed (abbreviated
// handshake) without one. Without the retained state (a power loss, damaged
// bytes) it starts from the flash store and registers again.
import assert from 'node:assert/strict';
import { OptionNumber } from '../../firmware/coap/message';
import { getObserve } from '../../firmware/coap/options';
import { ContentFormat } from '../../firmware/formats';
import type { ClientOptions } from '../../firmware/lwm2m/engine/client';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { MemoryRetainedMemory } from '../../firmware/platform/node/retained-memory';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { silentLogger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { utf8Decode } from '../../firmware/util/utf8';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';

const AWAKE_MS = 5000;
/** Lifetime of the rig's accounts is 300 s; this test's observation has pmax 120 s. */
const PMAX = 120;

interface Device {
  h: Rig;
  flash: MemoryFlash;
  retained: MemoryRetainedMemory;
  /** The platform's view: each radio-off with its planned wake and whether the session was kept. */
  offs: Array<{ at: number; next: number | undefined; retained: boolean }>;
  /** Store commits of every boot's mount. */
  commits: () => number;
  /** The options of a boot: a new mount of the same flash, the same retained memory. */
  boot: () => Partial<ClientOptions>;
}

async function openDevice(o: { coaps?: boolean; cid?: boolean } = {}): Promise<Device> {
  const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
  const offs: Device['offs'] = [];
  const stores: RecordStore[] = [];
  let h: Rig | undefined;
  const retainedRef: { r?: MemoryRetainedMemory } = {};
  const boot = (): Partial<ClientOptions> => {
    const store = RecordStore.mount(flash);
    stores.push(store);
    return {
      persistence: storePersistence(store, silentLogger),
      queueMode: {
        awakeMs: AWAKE_MS,
        retained: retainedRef.r,
        power: { off: (next, kept) => offs.push({ at: h!.timers.now(), next, retained: kept }), on: () => {} },
      },
      ...(o.coaps && o.cid === false ? { dtls: { crypto: nodeCrypto, connectionId: false } } : {}),
    };
  };
  h = await openRig({ kind: 'memory', coaps: o.coaps, client: {} });
  retainedRef.r = new MemoryRetainedMemory(2048, h.timers);
  h.client = h.newClient(boot());
  h.client.start();
  await h.expect(() => h!.count('registered') === 1, 'the first registration', 60_000);
  await h.advance(20);
  return { h, flash, retained: retainedRef.r, offs, commits: () => stores.reduce((n, s) => n + s.stats.commits, 0), boot };
}

const ep = (d: Device) => d.h.endpointName;
const sentBy = (d: Device, from: number) => d.h.wire.filter((w) => w.from === d.h.clientAddr && w.at >= from);
const requestsOf = (d: Device, from: number) => d.h.requests((w) => w.from === d.h.clientAddr && w.at >= from);

/** Runs until the radio goes off again (the listening window after the last message). */
async function untilAsleep(d: Device): Promise<void> {
  const n = d.offs.length;
  await d.h.expect(() => d.offs.length > n, 'the radio to go off', 400_000);
}

describe('deep sleep: registrations, observations and DTLS sessions kept in retained memory across sleeps (virtual time)', function () {
  let d: Device;
  afterEach(async () => {
    await d?.h.close();
  });

  it('ten sleep/wake cycles: an Update when due and never a Register, the observation and its last values kept, Message IDs moving on, no flash write', async () => {
    d = await openDevice();
    const { h } = d;
    assert.equal((await h.settle(h.server.writeAttributes(ep(d), '/3/0/9', { pmin: 0, pmax: PMAX, st: 5 }))).code, '2.04');
    h.client.setValue('/3/0/9', 50);
    const seen: unknown[] = [];
    const o = await h.settle(h.server.observe(ep(d), '/3/0/9', (r) => seen.push(r.records?.[0]?.value), ContentFormat.TEXT));
    assert.equal(o.first.code, '2.05');
    await untilAsleep(d);
    const flashWrites = d.flash.writes + d.flash.eraseCounts.reduce((a, b) => a + b, 0);
    const commits = d.commits();
    const mids = new Set(sentBy(d, 0).map((w) => w.message.messageId));
    /** Message IDs are sequential (RFC 7252 §4.4): the first of a wake follows the last before the sleep. */
    const ownMids = (from: number, to = Infinity) =>
      sentBy(d, from)
        .filter((w) => w.at < to && w.message.type < 2)
        .map((w) => w.message.messageId);
    let updates = 0;
    for (let cycle = 1; cycle <= 10; cycle++) {
      const off = d.offs.at(-1)!;
      assert.equal(off.retained, true, `cycle ${cycle}: the session went to retained memory`);
      assert.ok(off.next !== undefined && off.next > 0, 'a planned wake');
      const wokeAt = h.timers.now() + off.next;
      const lastMid = ownMids(0).at(-1)!;
      await h.deepSleep(off.next, d.boot());
      // The application reads its sensor at each boot; 52 is within st=5 of the 50 the server saw: no notification for it.
      h.client.setValue('/3/0/9', cycle === 5 ? 60 : 52 - (cycle % 2));
      await untilAsleep(d);
      const reqs = requestsOf(d, wokeAt);
      assert.ok(!reqs.some((r) => r.startsWith('POST /rd?')), `cycle ${cycle}: no Register (${reqs.join(', ')})`);
      assert.ok(!reqs.some((r) => r.startsWith('POST /bs')), 'no Bootstrap-Request');
      updates += reqs.filter((r) => r.startsWith('POST /rd/')).length;
      assert.equal(ownMids(wokeAt)[0], (lastMid + 1) & 0xffff, `cycle ${cycle}: the Message IDs go on from before the sleep`);
      for (const w of sentBy(d, wokeAt)) {
        if (w.message.type === 2 || w.message.type === 3) continue; // ACK and RST reuse the peer's Message ID
        assert.ok(!mids.has(w.message.messageId), `cycle ${cycle}: Message ID ${w.message.messageId} used again`);
        mids.add(w.message.messageId);
      }
      assert.equal(h.count('resumed'), cycle, `cycle ${cycle}: resumed, not registered`);
    }
    assert.equal(h.serverEvents[0]!.filter((e) => e.type === 'registered').length, 1, 'the server saw one Register in all');
    assert.ok(updates >= 4, `Updates before each lifetime ran out (${updates})`);
    // 60 broke st=5 (cycle 5): notified then; the pmax notifications carry what the server has not seen yet.
    assert.ok(seen.includes(60), `the change over st was notified: ${JSON.stringify(seen)}`);
    assert.ok(seen.length >= 5, `a notification at least every pmax (${seen.length})`);
    assert.equal(h.client.management.reporting.count, 1, 'the observation is there after ten wakes');
    const seqs = h.notifications().map((w) => getObserve(w.message)!);
    assert.ok(
      seqs.length >= 5 && seqs.every((v, i) => i === 0 || v === seqs[i - 1]! + 1),
      `Observe numbers go on across the sleeps: ${seqs.join(' ')}`,
    );
    assert.equal(d.commits() - commits, 0, 'no store commit in ten wakes');
    assert.equal(d.flash.writes + d.flash.eraseCounts.reduce((a, b) => a + b, 0) - flashWrites, 0, 'no flash write or erase in ten wakes');
  });

  it('judges a change against the value the server saw before the sleep (st), and notifies a pmax that fell due in the sleep', async () => {
    d = await openDevice();
    const { h } = d;
    assert.equal((await h.settle(h.server.writeAttributes(ep(d), '/3/0/9', { pmin: 0, pmax: 600, st: 10 }))).code, '2.04');
    h.client.setValue('/3/0/9', 50);
    const seen: Array<{ v: unknown; at: number }> = [];
    await h.settle(
      h.server.observe(ep(d), '/3/0/9', (r) => seen.push({ v: r.records?.[0]?.value, at: h.timers.now() }), ContentFormat.TEXT),
    );
    await untilAsleep(d);
    // Wake for the Registration Update; the value moved by 4 (not notified), then by 12 from what the server saw.
    await h.deepSleep(d.offs.at(-1)!.next!, d.boot());
    h.client.setValue('/3/0/9', 54);
    await h.advance(1000);
    assert.deepEqual(
      seen.map((s) => s.v),
      [],
      '54 is within st=10 of the 50 the server saw',
    );
    h.client.setValue('/3/0/9', 62);
    await h.advance(1000);
    assert.deepEqual(
      seen.map((s) => s.v),
      [62],
      '62 is 12 from the 50 the server saw',
    );
  });

  it('over coaps with a Connection ID: a wake sends protected records at once, no handshake, and at most 2 datagrams each way', async () => {
    d = await openDevice({ coaps: true });
    const { h } = d;
    const dtls = h.server.dtls!;
    assert.ok(
      h.client.secure!.dtls.sessionInfo(h.serverUris[0]!.split('//')[1]!.split(':')[0]!, Number(h.serverUris[0]!.split(':').at(-1)))
        ?.connectionId?.send,
      'the server gave a CID',
    );
    await untilAsleep(d);
    const started = dtls.stats.handshakesStarted;
    let raw = 0;
    for (let cycle = 1; cycle <= 4; cycle++) {
      const next = d.offs.at(-1)!.next!;
      const inBefore = dtls.stats.datagramsIn,
        outBefore = dtls.stats.datagramsOut;
      await h.deepSleep(next, d.boot());
      await untilAsleep(d);
      const inN = dtls.stats.datagramsIn - inBefore,
        outN = dtls.stats.datagramsOut - outBefore;
      assert.ok(inN >= 1 && inN <= 2 && outN <= 2, `cycle ${cycle}: ${inN} datagrams to the server, ${outN} back`);
      raw += inN;
    }
    assert.equal(dtls.stats.handshakesStarted, started, 'no handshake on any wake');
    assert.ok(dtls.stats.cidRecordsIn >= raw, 'every record to the server carried its CID');
    assert.equal(h.serverEvents[0]!.filter((e) => e.type === 'registered').length, 1);
    assert.ok(h.serverEvents[0]!.filter((e) => e.type === 'updated').length >= 3, 'the Updates went over the kept session');
    assert.equal(h.client.secure!.dtls.stats.sessionsKept, 1);
  });

  it('over coaps without a Connection ID: each wake resumes the session (abbreviated handshake), never a full one', async () => {
    d = await openDevice({ coaps: true, cid: false });
    const { h } = d;
    const dtls = h.server.dtls!;
    await untilAsleep(d);
    const full = dtls.stats.handshakesCompleted - dtls.stats.handshakesResumed;
    const resumed = dtls.stats.handshakesResumed;
    for (let cycle = 1; cycle <= 3; cycle++) {
      await h.deepSleep(d.offs.at(-1)!.next!, d.boot());
      await untilAsleep(d);
      assert.equal(dtls.stats.handshakesResumed, resumed + cycle, `cycle ${cycle}: one abbreviated handshake`);
    }
    assert.equal(dtls.stats.handshakesCompleted - dtls.stats.handshakesResumed, full, 'no full handshake after the first');
    assert.equal(h.serverEvents[0]!.filter((e) => e.type === 'registered').length, 1);
    assert.ok(h.serverEvents[0]!.filter((e) => e.type === 'updated').length >= 3);
  });

  it('after a power loss in the sleep (retained memory gone) starts from the flash store and registers again, without bootstrapping', async () => {
    d = await openDevice();
    const { h } = d;
    await untilAsleep(d);
    assert.ok(d.retained.holds);
    d.retained.powerLoss();
    const wokeAt = h.timers.now() + d.offs.at(-1)!.next!;
    await h.deepSleep(d.offs.at(-1)!.next!, d.boot());
    await h.expect(() => h.count('registered') === 2, 'a new Register', 60_000);
    const reqs = requestsOf(d, wokeAt);
    assert.ok(
      reqs.some((r) => r.startsWith('POST /rd?')),
      reqs.join(', '),
    );
    assert.ok(!reqs.some((r) => r.startsWith('POST /bs')), 'the flash store had the configuration');
    assert.equal(h.count('resumed'), 0);
  });

  it('a damaged retained state is not used: it registers again', async () => {
    d = await openDevice();
    const { h } = d;
    await untilAsleep(d);
    const kept = d.retained.take()!;
    kept.bytes[10] ^= 0x40;
    d.retained.write(kept.bytes);
    await h.deepSleep(d.offs.at(-1)!.next!, d.boot());
    await h.expect(() => h.count('registered') === 2, 'a new Register', 60_000);
    assert.equal(h.count('resumed'), 0);
  });

  it('the radio on again in the same run clears what was retained (a kept DTLS sequence number is never used twice)', async () => {
    d = await openDevice();
    const { h } = d;
    await untilAsleep(d);
    assert.ok(d.retained.holds && d.offs.at(-1)!.retained);
    h.client.wake('a button');
    assert.equal(d.retained.holds, false);
  });

  it('registers with Q and keeps nothing without retained memory (the platform is told it may not deep-sleep)', async () => {
    d = await openDevice();
    const { h } = d;
    await untilAsleep(d);
    const reg = h.wire.find(
      (w) => w.from === h.clientAddr && w.message.options.some((x) => x.number === OptionNumber.URI_PATH && utf8Decode(x.value) === 'rd'),
    );
    assert.ok(reg!.message.options.some((x) => x.number === OptionNumber.URI_QUERY && utf8Decode(x.value) === 'Q'));
    // The same client without retained memory: radio-off says "not retained".
    await h.deepSleep(d.offs.at(-1)!.next!, {
      ...d.boot(),
      queueMode: { awakeMs: AWAKE_MS, power: { off: (next, kept) => d.offs.push({ at: 0, next, retained: kept }), on: () => {} } },
    });
    await untilAsleep(d);
    assert.equal(d.offs.at(-1)!.retained, false);
  });
});

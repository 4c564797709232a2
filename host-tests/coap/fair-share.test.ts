// The stack's defences against a peer that sends too much: the peers an
// application serves (PeerAdmission), and fair shares of every bounded table
// (fair-share.ts): no peer holds more than half of one, a peer at its share
// gives up its own oldest entry, a full table gives up an entry of the peer
// that holds most. Endpoints on the in-memory network in virtual time.
import assert from 'node:assert/strict';
import type { CoapEndpoint, Peer, TableOccupancy } from '../../firmware/coap/endpoint';
import { Code, OptionNumber, Type, encodeMessage } from '../../firmware/coap/message';
import { encodeBlock, stringOption } from '../../firmware/coap/options';
import { PeerShares, peerShare, victim } from '../../firmware/coap/fair-share';
import { newStats } from '../../firmware/coap/stack-context';
import { fromHex, toHex } from '../../firmware/util/hex';
import { mutations } from './vectors';
import { CLIENT, SERVER, bytesOf, message, world, type RawPeer } from './helpers';

const block1 = (num: number, more: boolean, szx: number) => ({ number: OptionNumber.BLOCK1, value: encodeBlock(num, more, szx) });
const block2 = (num: number, more: boolean, szx: number) => ({ number: OptionNumber.BLOCK2, value: encodeBlock(num, more, szx) });
const path = (p: string) => stringOption(OptionNumber.URI_PATH, p);
const OTHER = { address: '10.0.0.3', port: 40000 };

/** The occupancy the endpoint reports, checked against the accounting behind it. */
function occupancy(ep: CoapEndpoint): TableOccupancy {
  const o = ep.occupancy;
  const shares = (ep as unknown as { ctx: { shares: PeerShares } }).ctx.shares;
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((t) => shares.used(t)),
    [o.dedup.size, o.block1.size, o.block2.size, o.relations.size, o.cons.size],
    'what the shares count is what the tables hold',
  );
  return o;
}

describe('fair shares of the bounded tables (fair-share.ts)', () => {
  it('a peer may hold half of a table, rounded up, and at least one entry', () => {
    assert.deepEqual([1, 2, 3, 4, 16, 32, 128].map(peerShare), [1, 1, 2, 2, 8, 16, 64]);
  });

  it('counts per peer and table, forgets a peer that holds nothing, and keeps the peaks', () => {
    const stats = newStats();
    const s = new PeerShares(stats);
    s.take('a', 0);
    s.take('a', 0);
    s.take('b', 0);
    s.take('a', 3);
    assert.equal(s.count('a', 0), 2);
    assert.ok(s.atShare('a', 0, 4) && !s.atShare('b', 0, 4));
    s.release('a', 0);
    s.release('a', 0);
    s.release('a', 0);
    assert.equal(s.count('a', 0), 0, 'never below zero');
    assert.deepEqual([s.used(0), s.peak(0), s.peakHeld(0), s.used(3)], [1, 3, 2, 1]);
    s.release('a', 3);
    assert.equal((s as unknown as { held: Map<string, number[]> }).held.size, 1, 'a peer holding nothing has no record');
    s.clear(0);
    assert.equal((s as unknown as { held: Map<string, number[]> }).held.size, 0);
    s.refused();
    assert.equal(stats.overShare, 1);
  });

  it('picks the oldest entry of the peer that holds most, never a busy one, or the oldest of one peer', () => {
    const s = new PeerShares(newStats());
    const entries = new Map<string, { peer: string; busy: boolean }>();
    for (const [k, peer, busy] of [
      ['1', 'a', false],
      ['2', 'b', true],
      ['3', 'b', false],
      ['4', 'b', false],
      ['5', 'a', false],
    ] as const) {
      entries.set(k, { peer, busy });
      s.take(peer, 0);
    }
    const busy = (e: { busy: boolean }) => e.busy;
    assert.equal(victim(entries, s, 0, busy, null), '3', 'b holds most; its oldest is busy');
    assert.equal(victim(entries, s, 0, null, null), '2');
    assert.equal(victim(entries, s, 0, busy, 'a'), '1');
    assert.equal(victim(entries, s, 0, busy, 'c'), undefined);
  });
});

describe('coap endpoint: the peers an application serves (PeerAdmission)', () => {
  function served() {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const asked: Peer[] = [];
    server.admission = {
      serves: (p) => {
        asked.push(p);
        return p.address === CLIENT.address && p.port === CLIENT.port;
      },
    };
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return { code: Code.CONTENT };
    };
    return { w, server, asked, runs: () => runs, client: w.raw(CLIENT.address, CLIENT.port), stranger: w.raw(OTHER.address, OTHER.port) };
  }

  it('drops a request from a peer it does not serve before decoding it: no answer, no dedup entry, no handler run', async () => {
    const { w, server, asked, runs, client, stranger } = served();
    stranger.send(SERVER, message({ messageId: 1 }));
    stranger.send(SERVER, message({ type: Type.NON, messageId: 2 }));
    stranger.send(SERVER, message({ code: Code.PUT, messageId: 3, options: [path('x'), block1(0, true, 0)], payload: bytesOf(16) }));
    stranger.send(SERVER, new Uint8Array([0x40, 0x01, 0x00, 0x07, 0xff])); // a malformed GET: not even a RST
    client.send(SERVER, message({ messageId: 1 }));
    await w.clock.advance(50);
    assert.deepEqual(stranger.take(), []);
    assert.deepEqual(
      client.take().map((m) => m.code),
      [Code.CONTENT],
    );
    assert.equal(runs(), 1);
    assert.equal(server.stats.notServed, 4);
    assert.equal(server.stats.formatErrors, 0, 'never decoded');
    const o = occupancy(server);
    assert.equal(o.dedup.size, 1);
    assert.equal(o.block1.peak, 0);
    assert.deepEqual(
      asked.map((p) => `${p.address}:${p.port}`),
      [...Array(4).fill('10.0.0.3:40000'), '10.0.0.2:40000'],
    );
  });

  it('still takes responses, ACKs, RSTs and pings from peers it does not serve: they answer what we sent', async () => {
    const { w, server, stranger } = served();
    const got = server.request(OTHER, { method: Code.GET, path: ['a'] });
    await w.clock.advance(10);
    const req = stranger.take()[0];
    stranger.send(SERVER, message({ type: Type.ACK, code: Code.CONTENT, messageId: req.messageId, token: req.token }));
    stranger.send(SERVER, message({ code: Code.EMPTY, messageId: 77 })); // CoAP ping
    stranger.send(SERVER, message({ code: Code.CONTENT, messageId: 78, token: new Uint8Array([9]) })); // a response nobody asked for
    await w.clock.advance(10);
    assert.equal((await got).code, Code.CONTENT);
    assert.deepEqual(
      stranger.take().map((m) => [m.type, m.messageId]),
      [
        [Type.RST, 77],
        [Type.RST, 78],
      ],
    );
    assert.equal(server.stats.notServed, 0);
    assert.equal(occupancy(server).dedup.size, 0, 'a rejected response takes no dedup entry');
  });

  it('serves everyone again when the admission is taken away', async () => {
    const { w, server, stranger } = served();
    server.admission = null;
    stranger.send(SERVER, message({ messageId: 5 }));
    await w.clock.advance(10);
    assert.deepEqual(
      stranger.take().map((m) => m.code),
      [Code.CONTENT],
    );
  });
});

describe('coap endpoint: no peer takes more than its share', () => {
  it('a peer flooding the dedup cache evicts its own exchanges, never the recent ones of another peer', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { dedupCapacity: 8 });
    const quiet = w.raw(CLIENT.address, CLIENT.port);
    const loud = w.raw(OTHER.address, OTHER.port);
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return { code: Code.CONTENT };
    };
    for (let i = 0; i < 3; i++) quiet.send(SERVER, message({ messageId: 100 + i }));
    for (let i = 0; i < 500; i++) loud.send(SERVER, message({ messageId: i }));
    await w.clock.advance(50);
    assert.equal(
      loud.take().filter((m) => m.code === Code.CONTENT).length,
      500,
      'the loud peer is served too: its oldest exchanges make room',
    );
    const first = quiet.take();
    for (let i = 0; i < 3; i++) quiet.send(SERVER, message({ messageId: 100 + i }));
    await w.clock.advance(50);
    assert.equal(runs, 503, "the quiet peer's duplicates were answered from the cache");
    assert.deepEqual(
      quiet.take().map((m) => toHex(encodeMessage(m))),
      first.map((m) => toHex(encodeMessage(m))),
    );
    const o = occupancy(server);
    assert.deepEqual([o.dedup.size, o.dedup.peakPerPeer, o.dedup.share], [7, 4, 4]);
    assert.equal(server.stats.dedupFull, 0);
  });

  it('a full dedup cache gives up the oldest finished exchange of the peer that holds most', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { dedupCapacity: 4 });
    const a = w.raw(CLIENT.address, CLIENT.port);
    const b = w.raw(OTHER.address, OTHER.port);
    const c = w.raw('10.0.0.4', 40000);
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return { code: Code.CONTENT };
    };
    a.send(SERVER, message({ messageId: 1 }));
    a.send(SERVER, message({ messageId: 2 }));
    b.send(SERVER, message({ messageId: 1 }));
    await w.clock.advance(10);
    c.send(SERVER, message({ messageId: 1 }));
    c.send(SERVER, message({ messageId: 2 }));
    await w.clock.advance(10);
    assert.equal(runs, 5);
    // a held most (2): its oldest went; b's one exchange is still cached.
    for (const [peer, mid] of [
      [b, 1],
      [a, 2],
      [a, 1],
    ] as Array<[RawPeer, number]>)
      peer.send(SERVER, message({ messageId: mid }));
    await w.clock.advance(10);
    assert.equal(runs, 6, "only a's oldest exchange ran again");
    assert.equal(server.stats.dedupEvicted, 2);
  });

  it('a peer at its share of Block1 sessions gives up its own oldest transfer; another peer still finds room', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { maxBlockSessions: 4 });
    const a = w.raw(CLIENT.address, CLIENT.port);
    const b = w.raw(OTHER.address, OTHER.port);
    const bodies: string[] = [];
    server.onRequest = (req) => {
      bodies.push(`${req.path[0]}:${req.payload.length}`);
      return { code: Code.CHANGED };
    };
    let mid = 1;
    const start = (from: RawPeer, name: string) =>
      from.send(SERVER, message({ code: Code.PUT, messageId: mid++, options: [path(name), block1(0, true, 0)], payload: bytesOf(16) }));
    const finish = (from: RawPeer, name: string) =>
      from.send(SERVER, message({ code: Code.PUT, messageId: mid++, options: [path(name), block1(1, false, 0)], payload: bytesOf(4) }));
    for (const name of ['a1', 'a2', 'a3']) start(a, name);
    start(b, 'b1');
    start(b, 'b2');
    await w.clock.advance(10);
    assert.deepEqual(
      a.take().map((m) => m.code),
      [Code.CONTINUE, Code.CONTINUE, Code.CONTINUE],
    );
    assert.deepEqual(
      b.take().map((m) => m.code),
      [Code.CONTINUE, Code.CONTINUE],
    );
    for (const name of ['a1', 'a2', 'a3']) finish(a, name);
    finish(b, 'b1');
    finish(b, 'b2');
    await w.clock.advance(10);
    assert.deepEqual(
      a.take().map((m) => m.code),
      [Code.REQUEST_ENTITY_INCOMPLETE, Code.CHANGED, Code.CHANGED],
      'a1 was given up for a3',
    );
    assert.deepEqual(
      b.take().map((m) => m.code),
      [Code.CHANGED, Code.CHANGED],
    );
    assert.deepEqual(bodies, ['a2:20', 'a3:20', 'b1:20', 'b2:20']);
    const o = occupancy(server);
    assert.deepEqual([o.block1.size, o.block1.peak, o.block1.peakPerPeer], [0, 4, 2]);
    assert.equal(server.stats.blockSessionsFull, 0);
  });

  it("Block2 bodies: a peer at its share gives up its own oldest; another peer's body stays for its follow-up", async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { maxBlockSessions: 4, blockSzx: 0 });
    const a = w.raw(CLIENT.address, CLIENT.port);
    const b = w.raw(OTHER.address, OTHER.port);
    const runs: string[] = [];
    server.onRequest = (req) => {
      runs.push(req.path[0]);
      return { code: Code.CONTENT, payload: bytesOf(40) };
    };
    let mid = 1;
    const get = (from: RawPeer, name: string, num: number) =>
      from.send(SERVER, message({ messageId: mid++, options: [path(name), block2(num, false, 0)] }));
    get(b, 'b', 0);
    for (let i = 0; i < 10; i++) get(a, `a${i}`, 0);
    await w.clock.advance(10);
    get(b, 'b', 1);
    get(a, 'a9', 1);
    get(a, 'a0', 1);
    await w.clock.advance(10);
    assert.deepEqual(
      runs,
      ['b', ...Array.from({ length: 10 }, (_, i) => `a${i}`), 'a0'],
      "b's and a9's follow-ups came from the kept bodies; a0's was given up",
    );
    const o = occupancy(server);
    assert.equal(o.block2.peakPerPeer, 2);
    assert.ok(o.block2.peak <= 4);
  });

  it("a stranger's 20,000 mutated requests at an endpoint that serves everyone: the other peer is never refused and keeps its cached answers", async () => {
    const w = world(3);
    const server = w.endpoint(SERVER.address, SERVER.port, { dedupCapacity: 32, maxBlockSessions: 2, maxObservations: 4 });
    const real = w.raw(CLIENT.address, CLIENT.port);
    let realRuns = 0;
    server.onRequest = (req) => {
      if (req.peer.address === CLIENT.address) realRuns++;
      if (req.observe === 0) req.acceptObserve();
      return { code: Code.CONTENT, payload: bytesOf(req.path[0] === 'big' ? 3000 : 8) };
    };
    const seeds = [
      message({ messageId: 0x1234, token: fromHex('a1b2'), options: [path('big')] }),
      message({
        messageId: 0x1234,
        token: fromHex('a1b3'),
        options: [{ number: OptionNumber.OBSERVE, value: new Uint8Array(0) }, path('o')],
      }),
      message({
        code: Code.PUT,
        messageId: 0x1234,
        token: fromHex('a1b4'),
        options: [path('x'), block1(0, true, 0)],
        payload: bytesOf(16),
      }),
      message({ type: Type.NON, messageId: 0x1234, options: [path('n')] }),
    ].map((m) => toHex(encodeMessage(m)));
    const flood = mutations(seeds, 20_000, 9).map(fromHex);
    let mid = 1;
    const answers: number[] = [];
    for (let i = 0; i < flood.length; i += 50) {
      for (let k = i; k < i + 50; k++) w.net.transmit(OTHER as never, flood[k], SERVER.address, SERVER.port);
      real.send(SERVER, message({ messageId: mid++, token: new Uint8Array([mid & 0xff]), options: [path('r')] }));
      await w.clock.advance(2);
      answers.push(...real.take().map((m) => m.code));
      // The real peer's duplicate of its last request: from the cache, not the handler.
      if (i % 5000 === 0) {
        await w.clock.advance(10); // its answer is back (5 ms each way)
        answers.push(...real.take().map((m) => m.code));
        const runs = realRuns;
        real.send(SERVER, message({ messageId: mid - 1, token: new Uint8Array([mid & 0xff]), options: [path('r')] }));
        await w.clock.advance(10);
        answers.push(...real.take().map((m) => m.code));
        assert.equal(realRuns, runs, 'a duplicate of a recent exchange is answered from the cache');
      }
    }
    await w.clock.advance(20);
    answers.push(...real.take().map((m) => m.code));
    assert.equal(answers.length, 400 + 4);
    assert.deepEqual([...new Set(answers)], [Code.CONTENT]);
    assert.equal(realRuns, 400);
    const o = occupancy(server);
    for (const [name, t] of Object.entries(o)) {
      if (typeof t === 'number') continue;
      assert.ok(t.peak <= t.capacity && t.peakPerPeer <= t.share, `${name}: ${JSON.stringify(t)}`);
    }
    assert.ok(o.dedup.peakPerPeer === o.dedup.share, 'the stranger filled its share, and no more');
  });
});

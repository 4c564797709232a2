import assert from 'node:assert/strict';
import { CoapError, CoapResetError, CoapTimeoutError, type CoapResponse, type ResponseSpec } from '../../firmware/coap/endpoint';
import { Code, OptionNumber, Type, decodeMessage, encodeMessage } from '../../firmware/coap/message';
import { decodeUint, findOption, stringOption } from '../../firmware/coap/options';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { SeededRandom } from '../support/seeded-random';
import { CLIENT, SERVER, message, world } from './helpers';

const text = (s: string): Uint8Array => utf8Encode(s);

describe('coap endpoint: message and request/response layers', () => {
  it("calls the response's sent hook once it has gone out (piggybacked or separate), not before", async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const raw = w.raw(CLIENT.address, CLIENT.port);
    const sentAt: Array<[string, number]> = [];
    let release: () => void = () => undefined;
    server.onRequest = (req) => {
      if (req.path[0] === 'now') return { code: Code.CHANGED, sent: () => sentAt.push(['now', w.net.trace.length]) };
      return new Promise<ResponseSpec>((resolve) => {
        release = () => resolve({ code: Code.CHANGED, sent: () => sentAt.push(['later', w.net.trace.length]) });
      });
    };
    raw.send(SERVER, message({ messageId: 1, options: [stringOption(OptionNumber.URI_PATH, 'now')] }));
    await w.clock.advance(100);
    raw.send(SERVER, message({ messageId: 2, options: [stringOption(OptionNumber.URI_PATH, 'later')] }));
    await w.clock.advance(1500); // the empty ACK goes out, no hook yet
    assert.deepEqual(
      sentAt.map((x) => x[0]),
      ['now'],
    );
    release();
    await w.clock.advance(10);
    assert.deepEqual(
      sentAt.map((x) => x[0]),
      ['now', 'later'],
    );
    const codes = raw.take().map((m) => [m.type, m.code]);
    assert.deepEqual(codes, [
      [Type.ACK, Code.CHANGED],
      [Type.ACK, Code.EMPTY],
      [Type.CON, Code.CHANGED],
    ]);
    assert.ok(sentAt[0]![1] >= 2 && sentAt[1]![1] > sentAt[0]![1], 'each hook ran after its response was handed to the transport');
  });

  it('answers a CON GET with a piggybacked response', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port);
    server.onRequest = (req) => ({
      code: Code.CONTENT,
      contentFormat: 0,
      payload: text(`hello ${req.path.join('/')}?${req.query.join('&')}`),
    });
    let res: CoapResponse | undefined;
    client.request(SERVER, { method: Code.GET, path: ['a', 'b'], query: ['x=1'] }).then((r) => {
      res = r;
    });
    await w.clock.runUntil(() => res !== undefined, 1000);
    assert.equal(res!.code, Code.CONTENT);
    assert.equal(res!.contentFormat, 0);
    assert.equal(utf8Decode(res!.payload), 'hello a/b?x=1');
    const types = w.net.trace.map((d) => {
      const m = decodeMessage(d.data);
      return m.ok ? m.message.type : -1;
    });
    assert.deepEqual(types, [Type.CON, Type.ACK]);
  });

  it('sends an empty ACK then a separate CON response when the handler is slower than separateResponseDelay', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { separateResponseDelay: 1000 });
    const client = w.raw(CLIENT.address, CLIENT.port);
    server.onRequest = () =>
      new Promise<ResponseSpec>((resolve) => {
        w.clock.setTimeout(() => resolve({ code: Code.CHANGED, payload: text('done') }), 3000);
      });
    client.send(SERVER, message({ code: Code.POST, messageId: 77, token: text('tk') }));
    await w.clock.advance(1004); // request arrives at 5 ms, the empty ACK leaves at 1005 ms
    assert.equal(client.received.length, 0);
    await w.clock.advance(10);
    const [ack] = client.take();
    assert.equal(ack.type, Type.ACK);
    assert.equal(ack.code, Code.EMPTY);
    assert.equal(ack.messageId, 77);
    await w.clock.advance(2100);
    const [res] = client.take();
    assert.equal(res.type, Type.CON);
    assert.equal(res.code, Code.CHANGED);
    assert.equal(utf8Decode(res.token), 'tk');
    assert.equal(utf8Decode(res.payload), 'done');
    // not ACKed: it is retransmitted; once ACKed it stops
    await w.clock.advance(3100);
    const again = client.take();
    assert.equal(again.length, 1);
    assert.equal(again[0].messageId, res.messageId);
    client.send(SERVER, message({ type: Type.ACK, code: Code.EMPTY, messageId: res.messageId }));
    await w.clock.advance(60_000);
    assert.equal(client.take().length, 0);
    assert.equal(server.stats.separateResponses, 1);
  });

  it('a client endpoint receives a separate response and ACKs it', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { separateResponseDelay: 500 });
    const client = w.endpoint(CLIENT.address, CLIENT.port);
    server.onRequest = () =>
      new Promise((resolve) => {
        w.clock.setTimeout(() => resolve({ code: Code.CONTENT, payload: text('late') }), 5000);
      });
    let res: CoapResponse | undefined;
    client.request(SERVER, { method: Code.GET, path: ['slow'] }).then((r) => {
      res = r;
    });
    await w.clock.runUntil(() => res !== undefined, 10_000);
    assert.equal(utf8Decode(res!.payload), 'late');
    await w.clock.advance(100_000);
    assert.equal(server.stats.retransmissions, 0, 'the separate response was ACKed, so never retransmitted');
    assert.equal(client.stats.retransmissions, 0, 'the empty ACK stopped the request retransmissions');
  });

  it('keeps NSTART = 1: a second request to the same peer waits for the first to complete', async () => {
    const w = world();
    const server = w.raw(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port);
    const done: number[] = [];
    for (let i = 0; i < 3; i++) client.request(SERVER, { method: Code.GET, path: [`r${i}`] }).then(() => done.push(i));
    await w.clock.advance(100);
    let got = server.take();
    assert.equal(got.length, 1, 'only one request outstanding');
    // answer with empty ACK + separate response later: the next request still waits for the response
    server.send(CLIENT, message({ type: Type.ACK, code: Code.EMPTY, messageId: got[0].messageId }));
    await w.clock.advance(10_000);
    assert.equal(server.take().length, 0);
    server.send(CLIENT, message({ type: Type.NON, code: Code.CONTENT, messageId: 900, token: got[0].token }));
    await w.clock.advance(100);
    assert.deepEqual(done, [0]);
    got = server.take();
    assert.equal(got.length, 1);
    assert.deepEqual(
      got[0].options.filter((o) => o.number === OptionNumber.URI_PATH).map((o) => utf8Decode(o.value)),
      ['r1'],
    );
    server.send(CLIENT, message({ type: Type.ACK, code: Code.CONTENT, messageId: got[0].messageId, token: got[0].token }));
    await w.clock.advance(100);
    got = server.take();
    assert.equal(got.length, 1);
    server.send(CLIENT, message({ type: Type.ACK, code: Code.CONTENT, messageId: got[0].messageId, token: got[0].token }));
    await w.clock.advance(100);
    assert.deepEqual(done, [0, 1, 2]);
  });

  it('retransmits at T, 3T, 7T, 15T (T in [ACK_TIMEOUT, ACK_TIMEOUT*ACK_RANDOM_FACTOR]) and times out at 31T', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const w = world(seed);
      const client = w.endpoint(CLIENT.address, CLIENT.port);
      let err: unknown;
      let at = -1;
      client.request({ address: '10.9.9.9', port: 5683 }, { method: Code.GET }).catch((e) => {
        err = e;
        at = w.clock.now();
      });
      await w.clock.runUntil(() => err !== undefined, 200_000);
      const times = w.net.trace.map((d) => d.at);
      assert.equal(times.length, 5, 'one transmission + MAX_RETRANSMIT 4');
      const T = times[1];
      assert.ok(T >= 2000 && T <= 3000, `initial timeout ${T} within the random-factor window`);
      assert.deepEqual(
        times,
        [0, T, 3 * T, 7 * T, 15 * T].map((x) => x),
      );
      assert.ok(err instanceof CoapTimeoutError);
      assert.equal(at, 31 * T);
      assert.equal(client.stats.retransmissions, 4);
    }
  });

  it('uses configurable transmission parameters', async () => {
    const w = world(9);
    const client = w.endpoint(CLIENT.address, CLIENT.port, { params: { ackTimeout: 1000, ackRandomFactor: 1, maxRetransmit: 2 } });
    let err: unknown;
    client.request({ address: '10.9.9.9', port: 5683 }, { method: Code.GET }).catch((e) => {
      err = e;
    });
    await w.clock.runUntil(() => err !== undefined, 100_000);
    assert.deepEqual(
      w.net.trace.map((d) => d.at),
      [0, 1000, 3000],
    );
    assert.equal(w.clock.now(), 7000);
  });

  it('surfaces a RST as CoapResetError and a missing separate response as CoapTimeoutError', async () => {
    const w = world();
    const server = w.raw(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port, { responseTimeout: 20_000 });
    let e1: unknown;
    client.request(SERVER, { method: Code.GET }).catch((e) => {
      e1 = e;
    });
    await w.clock.advance(10);
    server.send(CLIENT, message({ type: Type.RST, code: Code.EMPTY, messageId: server.take()[0].messageId }));
    await w.clock.advance(10);
    assert.ok(e1 instanceof CoapResetError);
    let e2: unknown;
    client.request(SERVER, { method: Code.GET }).catch((e) => {
      e2 = e;
    });
    await w.clock.advance(10);
    server.send(CLIENT, message({ type: Type.ACK, code: Code.EMPTY, messageId: server.take()[0].messageId }));
    await w.clock.advance(19_000);
    assert.equal(e2 === undefined, true, 'still waiting for the separate response');
    await w.clock.advance(1_100);
    assert.ok(e2 instanceof CoapTimeoutError);
    // NON request without any response
    let e3: unknown;
    client.request(SERVER, { method: Code.GET, confirmable: false }).catch((e) => {
      e3 = e;
    });
    await w.clock.advance(20_100);
    assert.ok(e3 instanceof CoapTimeoutError);
    // per-request deadline
    let e4: unknown;
    client.request(SERVER, { method: Code.GET, timeout: 500 }).catch((e) => {
      e4 = e;
    });
    await w.clock.advance(600);
    assert.ok(e4 instanceof CoapTimeoutError);
  });

  it('replays the cached response to a duplicate CON and runs the handler once, until EXCHANGE_LIFETIME', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.raw(CLIENT.address, CLIENT.port);
    let runs = 0;
    server.onRequest = () => ({ code: Code.CHANGED, payload: text(`run ${++runs}`) });
    const req = message({ code: Code.POST, messageId: 4242, token: text('t') });
    client.send(SERVER, req);
    await w.clock.advance(100);
    const [first] = client.take();
    client.send(SERVER, req);
    await w.clock.advance(245_000);
    client.send(SERVER, req);
    await w.clock.advance(100);
    const replays = client.take();
    assert.equal(replays.length, 2);
    for (const r of replays) assert.deepEqual(encodeMessage(r), encodeMessage(first));
    assert.equal(runs, 1);
    assert.equal(server.stats.duplicates, 2);
    await w.clock.advance(2_000); // now past 247 s after the first reception
    client.send(SERVER, req);
    await w.clock.advance(100);
    assert.equal(runs, 2, 'after EXCHANGE_LIFETIME the MID is new again');
    assert.equal(utf8Decode(client.take()[0].payload), 'run 2');
  });

  it('ignores duplicate NON requests for NON_LIFETIME and answers NON with NON', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.raw(CLIENT.address, CLIENT.port);
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return { code: Code.CONTENT };
    };
    const req = message({ type: Type.NON, messageId: 5, token: text('n') });
    client.send(SERVER, req);
    client.send(SERVER, req);
    await w.clock.advance(100);
    const got = client.take();
    assert.equal(got.length, 1);
    assert.equal(got[0].type, Type.NON);
    assert.equal(runs, 1);
    await w.clock.advance(145_000);
    client.send(SERVER, req);
    await w.clock.advance(100);
    assert.equal(runs, 2);
  });

  it('does not run the handler twice for a duplicate that arrives while the first is still processing', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { separateResponseDelay: 1500 });
    const client = w.raw(CLIENT.address, CLIENT.port);
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return new Promise((r) => {
        w.clock.setTimeout(() => r({ code: Code.CHANGED }), 4000);
      });
    };
    const req = message({ code: Code.PUT, messageId: 99, token: text('d') });
    client.send(SERVER, req);
    await w.clock.advance(500);
    client.send(SERVER, req); // duplicate while processing: empty ACK now
    await w.clock.advance(100);
    const [ack] = client.take();
    assert.equal(ack.type, Type.ACK);
    assert.equal(ack.code, Code.EMPTY);
    await w.clock.advance(4000);
    const [res] = client.take();
    assert.equal(res.type, Type.CON);
    assert.equal(res.code, Code.CHANGED);
    assert.equal(runs, 1);
  });

  it('ignores a request completely when the handler returns null (duplicates too)', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.raw(CLIENT.address, CLIENT.port);
    let runs = 0;
    server.onRequest = () => {
      runs++;
      return null;
    };
    const req = message({ messageId: 3 });
    client.send(SERVER, req);
    client.send(SERVER, req);
    await w.clock.advance(5000);
    assert.equal(client.received.length, 0);
    assert.equal(runs, 1);
  });

  it('completes 200 CON requests exactly once over 30 % loss and 10 % duplication', async function () {
    this.timeout(20_000);
    const w = world(2024, { loss: 0.3, duplicate: 0.1, delay: [5, 60], reorder: 0.05 });
    // MAX_RETRANSMIT raised: with 30 % loss each way a round trip succeeds with p = 0.49, so with the
    // default 4 retransmissions about 3 % of exchanges would time out, correctly, and not "complete".
    const params = { maxRetransmit: 10 };
    const server = w.endpoint(SERVER.address, SERVER.port, { params, dedupCapacity: 512 });
    const clients = [0, 1, 2, 3].map((i) => w.endpoint(`10.0.1.${i}`, 5000 + i, { params, maxQueuedRequests: 64 }));
    const handled = new Map<string, number>();
    server.onRequest = (req) => {
      const id = utf8Decode(req.payload);
      handled.set(id, (handled.get(id) ?? 0) + 1);
      return { code: Code.CHANGED, payload: text(`ok ${id}`) };
    };
    const completions = new Map<string, number>();
    const failures: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const id = `req-${i}`;
      clients[i % 4].request(SERVER, { method: Code.POST, path: ['n'], payload: text(id) }).then(
        (r) => {
          assert.equal(utf8Decode(r.payload), `ok ${id}`);
          completions.set(id, (completions.get(id) ?? 0) + 1);
        },
        (e) => failures.push(e),
      );
    }
    await w.clock.runUntil(() => completions.size + failures.length >= 200, 3_600_000);
    await w.clock.advance(300_000); // let late duplicates and retransmissions play out
    assert.deepEqual(failures, []);
    assert.equal(completions.size, 200);
    for (const n of completions.values()) assert.equal(n, 1);
    assert.equal(handled.size, 200);
    for (const [id, n] of handled) assert.equal(n, 1, `handler ran once for ${id}`);
    assert.ok(w.net.stats.lost > 50 && w.net.stats.duplicated > 20, 'the network really was lossy');
    assert.ok(server.stats.duplicates > 20, `duplicates answered from the cache (${server.stats.duplicates})`);
    assert.equal(server.stats.handlerRuns, 200);
  });

  describe('reject rules on a live endpoint', () => {
    it('answers RST to a malformed CON, drops malformed NON and ACK', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port);
      const client = w.raw(CLIENT.address, CLIENT.port);
      server.onRequest = () => ({ code: Code.CONTENT });
      client.send(SERVER, new Uint8Array([0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9])); // TKL 9, CON
      client.send(SERVER, new Uint8Array([0x59, 0x01, 0x12, 0x35, 1, 2, 3, 4, 5, 6, 7, 8, 9])); // TKL 9, NON
      client.send(SERVER, new Uint8Array([0x40, 0x01, 0x12, 0x36, 0xff])); // marker without payload, CON
      client.send(SERVER, new Uint8Array([0x60, 0x45, 0x12, 0x37, 0xf0])); // ACK, delta nibble 15
      client.send(SERVER, new Uint8Array([0x80, 0x01, 0x12, 0x38])); // version 2
      await w.clock.advance(100);
      const got = client.take();
      assert.deepEqual(
        got.map((m) => [m.type, m.code, m.messageId]),
        [
          [Type.RST, 0, 0x1234],
          [Type.RST, 0, 0x1236],
        ],
      );
      assert.equal(server.stats.formatErrors, 5);
    });

    it('answers 4.02 to a request with an unknown critical option and ignores unknown elective ones', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port);
      const client = w.raw(CLIENT.address, CLIENT.port);
      let runs = 0;
      server.onRequest = () => {
        runs++;
        return { code: Code.CONTENT };
      };
      client.send(SERVER, message({ messageId: 1, token: text('a'), options: [{ number: 2049, value: text('x') }] }));
      client.send(SERVER, message({ messageId: 2, token: text('b'), options: [{ number: 2048, value: text('x') }] }));
      client.send(SERVER, message({ type: Type.NON, messageId: 3, token: text('c'), options: [{ number: 9, value: text('x') }] }));
      client.send(SERVER, message({ messageId: 4, token: text('d'), options: [stringOption(OptionNumber.PROXY_URI, 'coap://x/')] }));
      await w.clock.advance(100);
      const got = client.take();
      assert.deepEqual(
        got.map((m) => [m.type, m.code, utf8Decode(m.token)]),
        [
          [Type.ACK, Code.BAD_OPTION, 'a'],
          [Type.ACK, Code.CONTENT, 'b'],
          [Type.NON, Code.BAD_OPTION, 'c'],
          [Type.ACK, Code.PROXYING_NOT_SUPPORTED, 'd'],
        ],
      );
      assert.equal(runs, 1);
    });

    it('rejects a CON response with an unknown critical option with RST; answers a CoAP ping with RST', async () => {
      const w = world();
      const server = w.raw(SERVER.address, SERVER.port);
      const client = w.endpoint(CLIENT.address, CLIENT.port, { responseTimeout: 5000 });
      let err: unknown;
      client.request(SERVER, { method: Code.GET }).catch((e) => {
        err = e;
      });
      await w.clock.advance(10);
      const [req] = server.take();
      server.send(CLIENT, message({ type: Type.ACK, code: Code.EMPTY, messageId: req.messageId }));
      server.send(
        CLIENT,
        message({ type: Type.CON, code: Code.CONTENT, messageId: 500, token: req.token, options: [{ number: 9, value: text('z') }] }),
      );
      server.send(CLIENT, message({ type: Type.CON, code: Code.EMPTY, messageId: 501 }));
      await w.clock.advance(10);
      assert.deepEqual(
        server.take().map((m) => [m.type, m.messageId]),
        [
          [Type.RST, 500],
          [Type.RST, 501],
        ],
      );
      await w.clock.advance(6000);
      assert.ok(err instanceof CoapTimeoutError);
    });

    it('answers RST to a CON response with an unknown token', async () => {
      const w = world();
      w.endpoint(CLIENT.address, CLIENT.port);
      const server = w.raw(SERVER.address, SERVER.port);
      server.send(CLIENT, message({ type: Type.CON, code: Code.CONTENT, messageId: 8, token: text('zz') }));
      await w.clock.advance(10);
      assert.deepEqual(
        server.take().map((m) => [m.type, m.messageId]),
        [[Type.RST, 8]],
      );
    });
  });

  it('survives thousands of seeded random and mutated datagrams without throwing or hanging', async function () {
    this.timeout(20_000);
    const w = world(99);
    const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 1, maxReassemblySize: 256 });
    const attacker = w.raw(CLIENT.address, CLIENT.port);
    attacker.transport.onReceive = () => {}; // accept anything back
    let runs = 0;
    server.onRequest = (req) => {
      runs++;
      if (req.observe === 0) req.acceptObserve();
      return runs % 3 === 0
        ? new Promise((r) => {
            w.clock.setTimeout(() => r({ code: Code.CONTENT, payload: new Uint8Array(100) }), 1500);
          })
        : { code: Code.CONTENT, payload: new Uint8Array(runs % 70) };
    };
    const rnd = new SeededRandom(4711);
    const seeds = [
      encodeMessage(
        message({
          messageId: 1,
          token: text('abcd'),
          options: [stringOption(11, 'x'), { number: 27, value: new Uint8Array([0x09]) }],
          payload: new Uint8Array(32),
        }),
      ),
      encodeMessage(
        message({
          messageId: 2,
          token: text('ob'),
          options: [
            { number: 6, value: new Uint8Array(0) },
            { number: 23, value: new Uint8Array([0x11]) },
          ],
        }),
      ),
      encodeMessage(message({ type: Type.ACK, code: Code.CONTENT, messageId: 3, token: text('q') })),
      encodeMessage(message({ type: Type.RST, code: 0, messageId: 4 })),
    ];
    for (let i = 0; i < 4000; i++) {
      let m: Uint8Array = seeds[rnd.int(seeds.length)].slice();
      const k = rnd.int(4);
      if (k === 0) m = m.subarray(0, rnd.int(m.length + 1));
      else if (k === 1) for (let j = 0; j <= rnd.int(3); j++) m[rnd.int(m.length)] = rnd.int(256);
      else if (k === 2) m = rnd.bytes(rnd.int(40));
      else m[2] = rnd.int(256); // new MID: passes dedup, reaches deeper layers
      attacker.send(SERVER, m);
      if (i % 50 === 0) await w.clock.advance(100);
    }
    await w.clock.advance(400_000);
    assert.ok(runs > 40, `handler reached (${runs})`);
    // still healthy: a clean request gets its answer
    const client = w.endpoint('10.0.0.3', 1234);
    let res: CoapResponse | undefined;
    client.request(SERVER, { method: Code.GET, path: ['ok'] }).then((r) => {
      res = r;
    });
    await w.clock.runUntil(() => res !== undefined, 10_000);
    assert.equal(res!.code, Code.CONTENT);
  });

  describe('bounds', () => {
    it('gives up the oldest finished exchange when the dedup cache is full, so a polling server is never refused', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { dedupCapacity: 3 });
      const client = w.raw(CLIENT.address, CLIENT.port);
      let runs = 0;
      server.onRequest = () => {
        runs++;
        return { code: Code.CONTENT };
      };
      for (let i = 0; i < 10; i++) client.send(SERVER, message({ messageId: 10 + i }));
      await w.clock.advance(100);
      assert.deepEqual(
        client.take().map((m) => m.code),
        Array(10).fill(Code.CONTENT),
      );
      assert.equal(server.stats.dedupEvicted, 8, 'one peer keeps at most 2 of the 3 entries (its share)');
      assert.equal(server.stats.dedupFull, 0);
      client.send(SERVER, message({ messageId: 19 }));
      await w.clock.advance(100);
      assert.equal(client.take()[0].code, Code.CONTENT);
      assert.equal(runs, 10, 'a duplicate of a kept exchange gets the cached answer');
      client.send(SERVER, message({ messageId: 10 }));
      await w.clock.advance(100);
      assert.equal(runs, 11, 'a duplicate of a given-up exchange runs again (RFC 7252 §4.5 relaxed deduplication)');
    });

    it('answers 5.03 with Max-Age when every dedup entry that could make room is an exchange still being processed', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { dedupCapacity: 3 });
      const client = w.raw(CLIENT.address, CLIENT.port);
      const other = w.raw('10.0.0.3', 40000);
      const pending: Array<(r: ResponseSpec) => void> = [];
      server.onRequest = () =>
        new Promise<ResponseSpec>((resolve) => {
          pending.push(resolve);
        });
      // The first peer: two exchanges in the handler (its share of 3), the third refused; the second peer's second finds the cache full.
      for (let i = 0; i < 3; i++) client.send(SERVER, message({ messageId: 10 + i }));
      await w.clock.advance(100);
      for (let i = 0; i < 2; i++) other.send(SERVER, message({ messageId: 10 + i }));
      await w.clock.advance(100);
      for (const got of [client.take(), other.take()]) {
        const refused = got.filter((m) => m.code === Code.SERVICE_UNAVAILABLE);
        assert.equal(refused.length, 1, `codes ${got.map((m) => m.code)}`);
        const maxAge = decodeUint(findOption(refused[0], OptionNumber.MAX_AGE)!.value)!;
        assert.ok(maxAge > 240 && maxAge <= 247);
      }
      assert.equal(server.stats.dedupFull, 2);
      assert.equal(server.stats.overShare, 1, 'the first peer was refused for holding its share, the second for a full cache');
      assert.equal(pending.length, 3);
      for (const p of pending) p({ code: Code.CONTENT });
      await w.clock.advance(100);
      assert.equal(client.take().filter((m) => m.code === Code.CONTENT).length, 2);
      other.send(SERVER, message({ messageId: 20 }));
      await w.clock.advance(100);
      assert.equal(pending.length, 4, 'finished exchanges make room: the next request reaches the handler');
      assert.equal(server.stats.dedupFull, 2);
    });

    it('rejects requests beyond maxQueuedRequests with CoapError and counts them', async () => {
      const w = world();
      const client = w.endpoint(CLIENT.address, CLIENT.port, { maxQueuedRequests: 2 });
      const errors: unknown[] = [];
      for (let i = 0; i < 5; i++) client.request(SERVER, { method: Code.GET }).catch((e) => errors.push(e));
      await w.clock.advance(10);
      assert.equal(errors.length, 2); // 1 active + 2 queued
      assert.ok(errors.every((e) => e instanceof CoapError));
      assert.equal(client.stats.queueFull, 2);
    });

    it('close() rejects pending and queued requests and stops all timers', async () => {
      const w = world();
      const client = w.endpoint(CLIENT.address, CLIENT.port);
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++) client.request(SERVER, { method: Code.GET }).catch((e) => errors.push(e));
      await w.clock.advance(10);
      client.close();
      client.close();
      await w.clock.advance(10);
      assert.equal(errors.length, 3);
      assert.ok(errors.every((e) => e instanceof CoapError));
      assert.equal(w.clock.pending, 0);
    });
  });
});

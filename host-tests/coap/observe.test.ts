import assert from 'node:assert/strict';
import {
  CoapResetError,
  CoapTimeoutError,
  type ClientObservation,
  type CoapResponse,
  type ObserveCancelReason,
  type ObserveRelation,
} from '../../firmware/coap/endpoint';
import { Code, OptionNumber, Type, decodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { getBlock, getObserve, uintOption } from '../../firmware/coap/options';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { CLIENT, SERVER, bytesOf, message, world } from './helpers';

const text = (s: string): Uint8Array => utf8Encode(s);

/** A server whose resource /t accepts observers, and a client observing it. */
async function observed(seed = 1, serverOpts = {}) {
  const w = world(seed);
  const server = w.endpoint(SERVER.address, SERVER.port, serverOpts);
  const client = w.endpoint(CLIENT.address, CLIENT.port);
  const relations: ObserveRelation[] = [];
  const cancels: ObserveCancelReason[] = [];
  let value = 'v0';
  server.onRequest = (req) => {
    if (req.observe === 0) {
      const rel = req.acceptObserve();
      if (rel) {
        relations.push(rel);
        rel.onCancel = (r) => cancels.push(r);
      }
    }
    return { code: Code.CONTENT, contentFormat: 0, payload: text(value) };
  };
  const notes: CoapResponse[] = [];
  let obs: ClientObservation | undefined;
  client
    .observe(SERVER, { method: Code.GET, path: ['t'] }, (r) => notes.push(r))
    .then((o) => {
      obs = o;
    });
  await w.clock.runUntil(() => obs !== undefined, 10_000);
  return {
    w,
    server,
    client,
    relations,
    cancels,
    notes,
    obs: obs!,
    set: (v: string) => {
      value = v;
    },
  };
}

function traced(w: ReturnType<typeof world>): CoapMessage[] {
  return w.net.trace.map((d) => {
    const m = decodeMessage(d.data);
    if (!m.ok) throw new Error(m.error);
    return m.message;
  });
}

describe('coap endpoint: observe (RFC 7641)', () => {
  it('registers by token, answers with an Observe sequence number and delivers notifications in order', async () => {
    const { w, server, relations, notes, obs } = await observed();
    assert.equal(relations.length, 1);
    assert.equal(server.observationCount, 1);
    assert.equal(utf8Decode(obs.response.payload), 'v0');
    const seq0 = obs.response.observe!;
    assert.equal(typeof seq0, 'number');
    await relations[0].notify({ code: Code.CONTENT, payload: text('v1') });
    const p = relations[0].notify({ code: Code.CONTENT, payload: text('v2') }, { confirmable: true });
    await w.clock.advance(50);
    await p;
    assert.deepEqual(
      notes.map((n) => utf8Decode(n.payload)),
      ['v1', 'v2'],
    );
    const seqs = [seq0, ...notes.map((n) => n.observe!)];
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] + 1) & 0xffffff);
    const types = traced(w)
      .filter((m) => m.code === Code.CONTENT)
      .map((m) => m.type);
    assert.deepEqual(types, [Type.ACK, Type.NON, Type.CON]);
  });

  it('deregisters with GET Observe=1 on the same token', async () => {
    const { w, server, relations, cancels, obs } = await observed();
    let done = false;
    obs.cancel().then(() => {
      done = true;
    });
    await w.clock.runUntil(() => done, 10_000);
    assert.deepEqual(cancels, ['deregister']);
    assert.equal(relations[0].active, false);
    assert.equal(server.observationCount, 0);
    const dereg = traced(w).filter((m) => m.type === Type.CON && m.code === Code.GET);
    assert.equal(getObserve(dereg[1]), 1);
    assert.deepEqual(Array.from(dereg[1].token), Array.from(dereg[0].token));
  });

  it('cancels the relation when the client answers a notification with RST (passive cancel)', async () => {
    const { w, relations, cancels, notes, obs } = await observed();
    await obs.cancel({ passive: true });
    await relations[0].notify({ code: Code.CONTENT, payload: text('x') });
    await w.clock.advance(50);
    assert.deepEqual(cancels, ['reset']);
    assert.equal(notes.length, 0);
    await assert.rejects(relations[0].notify({ code: Code.CONTENT }), /not active/);
  });

  it('rejects a CON notification that is reset with CoapResetError', async () => {
    const { w, relations, cancels, obs } = await observed();
    await obs.cancel({ passive: true });
    let err: unknown;
    relations[0].notify({ code: Code.CONTENT }, { confirmable: true }).catch((e) => {
      err = e;
    });
    await w.clock.advance(50);
    assert.ok(err instanceof CoapResetError);
    assert.deepEqual(cancels, ['reset']);
  });

  it('cancels the relation when a CON notification times out', async () => {
    const { w, relations, cancels, client } = await observed();
    client.close();
    let err: unknown;
    relations[0].notify({ code: Code.CONTENT }, { confirmable: true }).catch((e) => {
      err = e;
    });
    await w.clock.runUntil(() => err !== undefined, 200_000);
    assert.ok(err instanceof CoapTimeoutError);
    assert.deepEqual(cancels, ['timeout']);
    assert.ok(w.clock.now() >= 62_000 && w.clock.now() <= 93_100);
  });

  it('lets a newer CON notification replace an unacknowledged one, keeping its back-off', async () => {
    const { w, relations, client } = await observed();
    client.close();
    const settled: string[] = [];
    relations[0].notify({ code: Code.CONTENT, payload: text('a') }, { confirmable: true }).then(
      () => settled.push('a'),
      () => settled.push('a failed'),
    );
    await w.clock.advance(10_000); // two retransmissions of 'a' so far
    let err: unknown;
    relations[0].notify({ code: Code.CONTENT, payload: text('b') }, { confirmable: true }).catch((e) => {
      err = e;
    });
    await w.clock.advance(10);
    assert.deepEqual(settled, ['a']);
    await w.clock.runUntil(() => err !== undefined, 200_000);
    assert.ok(err instanceof CoapTimeoutError);
    const cons = traced(w).filter((m) => m.type === Type.CON && m.code === Code.CONTENT);
    // a: sent + 2 retransmissions; b: sent at once, then only the 2 retransmissions left of MAX_RETRANSMIT 4
    assert.equal(cons.length, 6);
    assert.deepEqual(
      cons.map((m) => utf8Decode(m.payload)),
      ['a', 'a', 'a', 'b', 'b', 'b'],
    );
  });

  it('ends the relation with a non-2.xx notification', async () => {
    const { w, relations, cancels, notes } = await observed();
    await relations[0].notify({ code: Code.NOT_FOUND });
    await w.clock.advance(50);
    assert.deepEqual(cancels, ['local']);
    assert.equal(notes.length, 1);
    assert.equal(notes[0].code, Code.NOT_FOUND);
  });

  it('drops reordered (older) notifications by the sequence-number rule', async () => {
    const w = world();
    const raw = w.raw(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port);
    const notes: string[] = [];
    let obs: ClientObservation | undefined;
    client
      .observe(SERVER, { method: Code.GET, path: ['t'] }, (r) => notes.push(utf8Decode(r.payload)))
      .then((o) => {
        obs = o;
      });
    await w.clock.advance(10);
    const [reg] = raw.take();
    raw.send(
      CLIENT,
      message({
        type: Type.ACK,
        code: Code.CONTENT,
        messageId: reg.messageId,
        token: reg.token,
        options: [uintOption(6, 10)],
        payload: text('10'),
      }),
    );
    await w.clock.advance(10);
    assert.ok(obs);
    const note = (mid: number, seq: number, type: number = Type.NON) =>
      raw.send(
        CLIENT,
        message({ type, code: Code.CONTENT, messageId: mid, token: reg.token, options: [uintOption(6, seq)], payload: text(String(seq)) }),
      );
    note(100, 12);
    note(101, 11); // older: dropped
    note(102, 13, Type.CON);
    note(102, 13, Type.CON); // duplicate: ACKed again, delivered once
    await w.clock.advance(10);
    assert.deepEqual(notes, ['12', '13']);
    const acks = raw.take().filter((m) => m.type === Type.ACK);
    assert.equal(acks.length, 2);
    await w.clock.advance(130_000);
    note(103, 5); // more than 128 s later anything is fresh
    await w.clock.advance(10);
    assert.deepEqual(notes, ['12', '13', '5']);
    assert.equal(client.stats.staleNotifications, 1);
  });

  it('sends large notifications with Block2 and the observer fetches the rest', async () => {
    const { w, relations, notes, set } = await observed(3, { blockSzx: 2 });
    const big = bytesOf(1000, 4);
    set('unused');
    await relations[0].notify({ code: Code.CONTENT, contentFormat: 0, payload: big });
    await w.clock.runUntil(() => notes.length === 1, 10_000);
    assert.deepEqual(Array.from(notes[0].payload), Array.from(big));
    const first = traced(w).filter((m) => m.type === Type.NON)[0];
    assert.deepEqual(getBlock(first, OptionNumber.BLOCK2), { num: 0, more: true, szx: 2, size: 64 });
    assert.equal(relations[0].active, true, 'fetching the rest did not end the observation');
  });

  it('bounds relations at maxObservations, half of them per peer, and frees them on cancel', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { maxObservations: 4 });
    const raw = w.raw(CLIENT.address, CLIENT.port);
    const other = w.raw('10.0.0.3', 40000);
    const third = w.raw('10.0.0.4', 40000);
    const accepted: (ObserveRelation | null)[] = [];
    server.onRequest = (req) => {
      accepted.push(req.acceptObserve());
      return { code: Code.CONTENT };
    };
    const register = (from: typeof raw, i: number) =>
      from.send(SERVER, message({ messageId: i, token: new Uint8Array([i]), options: [uintOption(6, 0)] }));
    for (let i = 0; i < 3; i++) register(raw, i);
    await w.clock.advance(20);
    for (let i = 3; i < 5; i++) register(other, i);
    await w.clock.advance(20);
    register(third, 5);
    await w.clock.advance(20);
    assert.deepEqual(
      accepted.map((r) => r !== null),
      [true, true, false, true, true, false],
    );
    const res = raw.take();
    assert.equal(getObserve(res[0]) !== undefined, true);
    assert.equal(getObserve(res[2]), undefined, 'a refused registration is a plain response');
    assert.equal(server.stats.observeRejected, 2);
    assert.equal(server.stats.overShare, 1, 'the first peer at its share of 2; the third peer found the table full');
    assert.equal(server.observationCount, 4);
    accepted[0]!.cancel();
    register(third, 9);
    await w.clock.advance(20);
    assert.notEqual(accepted[6], null);
    assert.deepEqual(server.occupancy.relations, { size: 4, peak: 4, peakPerPeer: 2, capacity: 4, share: 2 });
  });

  it('close() cancels relations with reason closed', async () => {
    const { server, cancels, relations } = await observed();
    server.close();
    assert.deepEqual(cancels, ['closed']);
    assert.equal(relations[0].active, false);
  });
});

// The client under load, on the in-memory network in virtual time: its own
// LwM2M Server reading /3/0 as fast as it can, and a stranger flooding it
// with mutated requests. Every read of the server is answered 2.05, the
// stranger gets no 2.xx, and every bounded table of the CoAP stack stays
// within its bound and its per-peer share (CoapEndpoint.occupancy).
import assert from 'node:assert/strict';
import { CoapEndpoint, type TableOccupancy } from '../../firmware/coap/endpoint';
import { Code, encodeMessage, Type, type CoapOption } from '../../firmware/coap/message';
import { encodeBlock, stringOption, uintOption } from '../../firmware/coap/options';
import { ContentFormat } from '../../firmware/formats/index';
import { DEVICE_COAP_BOUNDS } from '../../firmware/platform/moddable/device-config';
import { silentLogger } from '../../firmware/platform/ports';
import { toHex, fromHex } from '../../firmware/util/hex';
import { utf8Encode } from '../../firmware/util/utf8';
import { mutations } from '../coap/vectors';
import { openRig, type Rig } from '../support/rig';

const SERVER_ADDRESS = '127.0.0.60';
const STRANGER = { address: '127.0.0.50', port: 5683 };

/** The rig's client registered to a hand-driven LwM2M Server whose transport the test holds (to replay datagrams). */
async function registered(coap?: typeof DEVICE_COAP_BOUNDS) {
  const rig = await openRig({ kind: 'memory', bootstrap: 'factory', client: coap ? { coap } : {} });
  rig.servers[0].close();
  const transport = rig.net!.bind(SERVER_ADDRESS, 5683);
  const server = new CoapEndpoint({ transport, timers: rig.clock!, random: rig.random, log: silentLogger, maxClientObservations: 32 });
  server.onRequest = (req) =>
    req.path[0] === 'rd'
      ? { code: req.path.length === 1 ? Code.CREATED : Code.CHANGED, locationPath: ['rd', 'f'] }
      : { code: Code.NOT_FOUND };
  rig.client = rig.newClient({ factory: { servers: [{ uri: `coap://${SERVER_ADDRESS}:5683`, ssid: 5, lifetime: 3000 }] } });
  rig.client.start();
  await rig.expect(() => rig.client.state === 'registered', 'registration');
  await rig.advance(20);
  const client = { address: rig.clientTransport.address, port: rig.clientTransport.port };
  const read = () => server.request(client, { method: Code.GET, path: ['3', '0'], accept: ContentFormat.TLV });
  return { rig, server, transport, client, read };
}

/** Every table within its bound, and no peer beyond its share. */
function assertWithinBounds(o: TableOccupancy): void {
  for (const [name, t] of Object.entries(o)) {
    if (typeof t === 'number') continue;
    assert.ok(t.size <= t.capacity && t.peak <= t.capacity, `${name}: ${JSON.stringify(t)}`);
    assert.ok(t.peakPerPeer <= t.share, `${name}: one peer held ${t.peakPerPeer} of ${t.capacity} (share ${t.share})`);
  }
  assert.equal(o.inProgress, 0);
}

describe('the client under load (in-memory network, virtual time)', function () {
  this.timeout(120_000);
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  for (const [label, coap] of [
    ['default bounds', undefined],
    ['device bounds', DEVICE_COAP_BOUNDS],
  ] as const) {
    it(`its LwM2M Server reads /3/0 in TLV 1,000 times in a row: all 2.05; duplicates of recent ones get the cached answer (${label})`, async () => {
      const s = await registered(coap);
      rig = s.rig;
      const ep = rig.client.endpoint;
      const runsBefore = ep.stats.handlerRuns;
      const codes = new Map<number, number>();
      const mids: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const res = await rig.settle(s.read(), 1000);
        codes.set(res.code, (codes.get(res.code) ?? 0) + 1);
        assert.equal(res.contentFormat, ContentFormat.TLV);
        mids.push(rig.wire.filter((w) => w.to === rig.clientAddr && w.message.code === Code.GET).at(-1)!.message.messageId);
      }
      assert.deepEqual([...codes], [[Code.CONTENT, 1000]]);
      assert.equal(ep.stats.handlerRuns - runsBefore, 1000);
      assert.equal(ep.stats.dedupFull, 0);
      const readsTook = rig.wire.filter((w) => w.to === rig.clientAddr && w.message.code === Code.GET);
      assert.ok(readsTook.at(-1)!.at - readsTook[0].at < 20_000, 'all within a fraction of EXCHANGE_LIFETIME');
      // Duplicates of the last reads (the server's retransmissions): the answer given before, byte for byte, no second run.
      const share = ep.occupancy.dedup.share;
      for (const mid of mids.slice(-share)) {
        const request = readsTook.find((w) => w.message.messageId === mid)!.message;
        const answer = rig.wire.find(
          (w) => w.from === rig.clientAddr && w.message.type === Type.ACK && w.message.messageId === mid,
        )!.message;
        const before = rig.wire.length;
        s.transport.send(encodeMessage(request), s.client.address, s.client.port);
        await rig.advance(20);
        const replayed = rig.wire.slice(before).filter((w) => w.from === rig.clientAddr);
        assert.equal(replayed.length, 1, `one answer to the duplicate of ${mid}`);
        assert.equal(toHex(encodeMessage(replayed[0].message)), toHex(encodeMessage(answer)));
      }
      assert.equal(ep.stats.handlerRuns - runsBefore, 1000, 'no duplicate reached the handler');
      assert.equal(ep.stats.duplicates, share);
      assertWithinBounds(ep.occupancy);
      assert.equal(ep.occupancy.dedup.size, share, 'one peer keeps its share of the cache');
    });
  }

  it('its LwM2M Server alone holds all 16 observations Information Reporting allows: its share of the 32 relations', async () => {
    const s = await registered();
    rig = s.rig;
    const codes: Array<[number, boolean]> = [];
    for (let i = 0; i < 17; i++) {
      const o = await rig.settle(
        s.server.observe(s.client, { method: Code.GET, path: ['3', '0', '13'], accept: ContentFormat.TLV }, () => {}),
        1000,
      );
      codes.push([o.response.code, o.response.observe !== undefined]);
    }
    assert.deepEqual(
      codes,
      [...Array(16).fill([Code.CONTENT, true]), [Code.SERVICE_UNAVAILABLE, false]],
      "the 17th: beyond Information Reporting's bound",
    );
    const relations = rig.client.endpoint.occupancy.relations;
    assert.deepEqual([relations.size, relations.share, relations.capacity], [16, 16, 32]);
    assert.equal(rig.client.endpoint.stats.overShare, 0);
  });

  it('a stranger floods it with 20,000 mutated requests while the server keeps reading: every read 2.05, no 2.xx to the stranger, every table within bounds', async () => {
    const s = await registered();
    rig = s.rig;
    const ep = rig.client.endpoint;
    const request = (type: number, code: number, options: CoapOption[], payload: Uint8Array = new Uint8Array(0)) =>
      toHex(encodeMessage({ type, code, messageId: 0x1234, token: fromHex('a1b2c3d4'), options, payload }));
    const path = (...p: string[]) => p.map((x) => stringOption(11, x));
    const seeds = [
      request(Type.CON, Code.GET, [...path('3', '0'), uintOption(17, ContentFormat.TLV)]),
      request(Type.NON, Code.GET, path('3', '0', '0')),
      request(Type.CON, Code.GET, [uintOption(6, 0), ...path('3', '0', '13')]),
      request(Type.CON, Code.PUT, [...path('1', '0', '1'), uintOption(12, ContentFormat.TEXT)], utf8Encode('5')),
      request(Type.CON, Code.POST, path('1', '0', '8')),
      request(
        Type.CON,
        Code.PUT,
        [...path('3', '0', '14'), uintOption(12, ContentFormat.TEXT), { number: 27, value: encodeBlock(0, true, 0) }],
        new Uint8Array(16),
      ),
      request(Type.CON, Code.DELETE, path('0')),
      request(Type.CON, Code.POST, [...path('bs'), stringOption(15, 'ep=node-1')]),
      request(Type.CON, Code.GET, [{ number: 23, value: encodeBlock(1, false, 2) }, ...path('3', '0')]),
    ];
    // Every tenth datagram an intact request; the rest mutated (bytes changed, inserted, cut).
    const mutated = mutations(seeds, 18_000, 15);
    const flood: Uint8Array[] = [];
    for (let i = 0; i < 20_000; i++) flood.push(fromHex(i % 10 === 0 ? seeds[(i / 10) % seeds.length] : mutated[i - Math.ceil(i / 10)]));

    const during: number[] = [];
    let stop = false;
    const reader = (async () => {
      while (!stop) during.push((await s.read()).code);
    })();
    const runsBefore = ep.stats.handlerRuns;
    const to = rig.clientTransport;
    for (let i = 0; i < flood.length; i += 20) {
      for (let k = i; k < i + 20; k++) rig.net!.transmit(STRANGER as never, flood[k], to.address, to.port);
      await rig.advance(1);
      if (i % 2000 === 0) assertWithinBounds(ep.occupancy);
    }
    stop = true;
    await rig.settle(reader, 1000);
    const after: number[] = [];
    for (let i = 0; i < 100; i++) after.push((await rig.settle(s.read(), 1000)).code);

    assert.ok(during.length >= 100, `${during.length} reads during the flood`);
    assert.deepEqual([...new Set(during)], [Code.CONTENT], 'every read during the flood');
    assert.deepEqual([...new Set(after)], [Code.CONTENT], 'every read after it');
    assert.equal(ep.stats.handlerRuns - runsBefore, during.length + after.length, "only the server's requests reached the client");
    const toStranger = rig.wire.filter((w) => w.from === rig.clientAddr && w.to === `${STRANGER.address}/${STRANGER.port}`);
    assert.deepEqual(
      toStranger.filter((w) => w.message.code >= 64 && w.message.code < 96),
      [],
      'no 2.xx to the stranger',
    );
    assert.ok(
      toStranger.every((w) => w.message.type === Type.RST),
      'the stranger hears RSTs at most (to responses nobody asked for)',
    );
    const intact = 2000;
    assert.ok(ep.stats.notServed >= intact, `${ep.stats.notServed} requests dropped unread`);
    const o = ep.occupancy;
    assertWithinBounds(o);
    assert.equal(o.dedup.peakPerPeer, o.dedup.share, "the server's own reads filled its share, nothing else");
    assert.equal(o.block1.peak + o.block2.peak + o.relations.peak, 0, 'the stranger opened no session and no relation');
    assert.ok(rig.clock!.pending < 20, `${rig.clock!.pending} timers`);
    assert.equal(rig.client.state, 'registered');
  });
});

// The CoAP core inside the real XS engine (xsnap) on the host: the same
// codec results as V8 on RFC 7252 examples, extended option forms and
// thousands of seeded mutations; then the endpoint over real loopback UDP.
import assert from 'node:assert/strict';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { fromHex, toHex } from '../../firmware/util/hex';
import { bigBody, describeDecode, mutations } from './vectors';
import { encodeMessage, Type, Code, OptionNumber } from '../../firmware/coap/message';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import type { CoapResponse } from '../../firmware/coap/api';
import { silentLogger } from '../../firmware/platform/ports';
import { loopbackUdp, mathRandom, nodeTimers } from '../xs-harness/node-peer';

// RFC 7252 Appendix A, Figure 16 (CON GET /temperature, piggybacked 2.05 "22.3 C").
const RFC_GET = '40017d34bb74656d7065726174757265';
const RFC_ACK = '60457d34ff32322e332043';

/** What crosses the engine boundary is JSON (undefined members vanish). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function built(): string[] {
  const long = new Uint8Array(300).fill(0x61);
  return [
    // token, Uri-Path segments, Uri-Query, Content-Format, Observe (0-length uint)
    toHex(
      encodeMessage({
        type: Type.CON,
        code: Code.POST,
        messageId: 0x1234,
        token: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
        options: [
          { number: OptionNumber.OBSERVE, value: new Uint8Array(0) },
          { number: OptionNumber.URI_PATH, value: utf8Encode('rd') },
          { number: OptionNumber.CONTENT_FORMAT, value: Uint8Array.of(40) },
          { number: OptionNumber.URI_QUERY, value: utf8Encode('ep=node1') },
          { number: OptionNumber.URI_QUERY, value: utf8Encode('lt=300') },
        ],
        payload: utf8Encode('</1/0>,</3/0>'),
      }),
    ),
    // extended delta (13 and 14 forms: Size1 = 60, then 300) and extended length (14 form)
    toHex(
      encodeMessage({
        type: Type.NON,
        code: Code.CONTENT,
        messageId: 0xffff,
        token: Uint8Array.of(9),
        options: [
          { number: OptionNumber.BLOCK2, value: Uint8Array.of(0x1e) },
          { number: OptionNumber.SIZE1, value: Uint8Array.of(4, 0) },
          { number: 400, value: long },
        ],
        payload: Uint8Array.of(0xff, 0),
      }),
    ),
    // RST, empty ACK
    '70000001',
    '60000002',
    // known-bad: version 2, TKL 9, payload marker with no payload, nibble 15, reserved class 1
    '80010001',
    '49010001',
    '40010001ff',
    '40010001f0',
    '40200001',
  ];
}

describe('CoAP in XS (real engine on the host)', function () {
  this.timeout(20000);
  let host: XsHost;
  before(async () => {
    const { code } = await bundleForXs('host-tests/xs-harness/entries/coap.ts');
    host = await XsHost.start({ script: code });
  });
  after(() => host?.close());

  it('decodes and re-encodes the RFC 7252 examples and extended forms exactly as V8 does', async () => {
    const vectors = [RFC_GET, RFC_ACK, ...built()];
    const inXs = await host.callJson<unknown[]>('decode', vectors);
    assert.deepEqual(inXs, viaJson(vectors.map(describeDecode)));
    const get = inXs[0] as { ok: boolean; options: unknown; reencoded: string };
    assert.equal(get.ok, true);
    assert.deepEqual(get.options, [[11, toHex(utf8Encode('temperature'))]]);
    assert.equal(get.reencoded, RFC_GET);
    assert.equal((inXs[1] as { payload: string }).payload, toHex(utf8Encode('22.3 C')));
    for (const v of inXs.slice(-5)) assert.equal((v as { ok: boolean }).ok, false);
  });

  it('gives the same verdict as V8 on 3000 seeded mutations (no throw in either engine)', async () => {
    const seeds = [RFC_GET, RFC_ACK, ...built().slice(0, 2)];
    const inputs = mutations(seeds, 3000, 0xc0a9);
    assert.deepEqual(await host.callJson('mutations', { seeds, count: 3000, seed: 0xc0a9 }), inputs);
    const inXs = await host.callJson<unknown[]>('decode', inputs);
    const inV8 = inputs.map(describeDecode);
    assert.deepEqual(inXs, viaJson(inV8));
    assert.equal(inV8.filter((r) => (r as { threw?: string }).threw).length, 0);
  });

  describe('endpoint in XS <-> Node CoapEndpoint over real loopback UDP', () => {
    let node: CoapEndpoint;
    let nodePort: number;
    let nodeUdp: { close(): void } | undefined;
    let xsPort: number;
    const xsPeer = () => ({ address: '127.0.0.1', port: xsPort });
    const nodeRequests: string[] = [];

    before(async () => {
      const udp = await loopbackUdp();
      nodeUdp = udp;
      nodePort = udp.port;
      node = new CoapEndpoint({ transport: udp, timers: nodeTimers, random: mathRandom, log: silentLogger });
      node.onRequest = (req) => {
        nodeRequests.push(`${req.method} /${req.path.join('/')}`);
        if (req.path[0] === 'time') return { code: Code.CONTENT, contentFormat: 0, payload: utf8Encode('12:00') };
        if (req.path[0] === 'big') return { code: Code.CONTENT, payload: bigBody(5000) };
        if (req.path[0] === 'sink') return { code: Code.CHANGED, payload: utf8Encode(String(req.payload.length)) };
        return { code: Code.NOT_FOUND };
      };
      ({ port: xsPort } = await host.callJson<{ port: number }>('start', { blockSzx: 6 }));
    });
    after(() => {
      node?.close();
      nodeUdp?.close();
    });

    async function xsRequest(req: object): Promise<{ code: number; payload: string; error?: string }> {
      const done = host.waitEvent('response', 15000);
      await host.callJson('request', { port: nodePort, ...req });
      return JSON.parse(utf8Decode(await done));
    }

    it('serves a Node GET (piggybacked 2.05) from XS', async () => {
      const res = await node.request(xsPeer(), { method: Code.GET, path: ['hello'] });
      assert.equal(res.code, Code.CONTENT);
      assert.equal(utf8Decode(res.payload), 'hello from XS');
      const nf = await node.request(xsPeer(), { method: Code.GET, path: ['nothing'] });
      assert.equal(nf.code, Code.NOT_FOUND);
    });

    it('sends a 4 KB Block2 response from XS and reassembles a Block1 upload in XS', async () => {
      const big = await node.request(xsPeer(), { method: Code.GET, path: ['big'] });
      assert.equal(big.code, Code.CONTENT);
      assert.deepEqual(big.payload, bigBody(4100));
      const up = bigBody(3000);
      const echo = await node.request(xsPeer(), { method: Code.PUT, path: ['echo'], payload: up });
      assert.equal(echo.code, Code.CHANGED);
      assert.deepEqual(echo.payload, up.slice().reverse());
    });

    it('lets XS act as a client: GET, Block2 fetch of 5000 bytes, Block1 upload', async () => {
      const t = await xsRequest({ method: Code.GET, path: ['time'] });
      assert.equal(t.code, Code.CONTENT);
      assert.equal(utf8Decode(fromHex(t.payload)), '12:00');
      const big = await xsRequest({ method: Code.GET, path: ['big'] });
      assert.equal(big.code, Code.CONTENT);
      assert.equal(big.payload, toHex(bigBody(5000)));
      const sink = await xsRequest({ method: Code.POST, path: ['sink'], payload: toHex(bigBody(2500)) });
      assert.equal(sink.code, Code.CHANGED);
      assert.equal(utf8Decode(fromHex(sink.payload)), '2500');
      assert.ok(nodeRequests.includes('1 /time'));
    });

    it('carries an Observe relation from XS: register, CON and NON notifications, deregister', async () => {
      const seen: CoapResponse[] = [];
      const obs = await node.observe(xsPeer(), { method: Code.GET, path: ['obs'] }, (r) => seen.push(r));
      assert.equal(utf8Decode(obs.response.payload), 'n=0');
      assert.equal(typeof obs.response.observe, 'number');
      for (let n = 1; n <= 3; n++) {
        const sent = host.waitEvent('notified');
        assert.deepEqual(await host.callJson('notify', { n, confirmable: n % 2 === 1 }), { active: true });
        assert.deepEqual(JSON.parse(utf8Decode(await sent)), { n });
      }
      for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        seen.map((r) => utf8Decode(r.payload)),
        ['n=1', 'n=2', 'n=3'],
      );
      await obs.cancel();
      const st = await host.callJson<{ observations: number; cancelReason: string }>('stats');
      assert.equal(st.observations, 0);
      assert.equal(st.cancelReason, 'deregister');
    });

    it('ran without any error in XS', async () => {
      const st = await host.callJson<{ stats: { handlerErrors: number; formatErrors: number; timeouts: number } }>('stats');
      assert.equal(st.stats.handlerErrors, 0);
      assert.equal(st.stats.formatErrors, 0);
      assert.equal(st.stats.timeouts, 0);
      assert.deepEqual(host.errors, []);
      assert.deepEqual(host.errorLogs, []);
    });
  });
});

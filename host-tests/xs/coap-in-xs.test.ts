// The CoAP core inside the real XS engine (xsnap) on the host: the same
// codec results as V8 on RFC 7252 examples, extended option forms and
// thousands of seeded mutations; then the endpoint over real loopback UDP.
import assert from 'node:assert/strict';
import { bundleForXs } from '../../host/xs/bundle';
import { XsHost } from '../../host/xs/bridge';
import { describeDecode, mutations, toHex } from '../../host/xs/entries/coap-vectors';
import { encodeMessage, Type, Code, OptionNumber } from '../../firmware/coap/message';
import { utf8Encode } from '../../firmware/util/utf8';

// RFC 7252 Appendix A, Figure 16 (CON GET /temperature, piggybacked 2.05 "22.3 C").
const RFC_GET = '40017d34bb74656d7065726174757265';
const RFC_ACK = '60457d34ff32322e332043';

/** What crosses the engine boundary is JSON (undefined members vanish). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function built(): string[] {
  const long = new Uint8Array(300).fill(0x61);
  return [
    // token, Uri-Path segments, Uri-Query, Content-Format, Observe (0-length uint)
    toHex(encodeMessage({ type: Type.CON, code: Code.POST, messageId: 0x1234, token: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      options: [
        { number: OptionNumber.OBSERVE, value: new Uint8Array(0) },
        { number: OptionNumber.URI_PATH, value: utf8Encode('rd') },
        { number: OptionNumber.CONTENT_FORMAT, value: Uint8Array.of(40) },
        { number: OptionNumber.URI_QUERY, value: utf8Encode('ep=node1') },
        { number: OptionNumber.URI_QUERY, value: utf8Encode('lt=300') },
      ], payload: utf8Encode('</1/0>,</3/0>') })),
    // extended delta (13 and 14 forms: Size1 = 60, then 300) and extended length (14 form)
    toHex(encodeMessage({ type: Type.NON, code: Code.CONTENT, messageId: 0xffff, token: Uint8Array.of(9),
      options: [
        { number: OptionNumber.BLOCK2, value: Uint8Array.of(0x1e) },
        { number: OptionNumber.SIZE1, value: Uint8Array.of(4, 0) },
        { number: 400, value: long },
      ], payload: Uint8Array.of(0xff, 0) })),
    // RST, empty ACK
    '70000001', '60000002',
    // known-bad: version 2, TKL 9, payload marker with no payload, nibble 15, reserved class 1
    '80010001', '49010001', '40010001ff', '40010001f0', '40200001',
  ];
}

describe('CoAP in XS (real engine on the host)', function () {
  this.timeout(20000);
  let host: XsHost;
  before(async () => {
    const { code } = await bundleForXs('host/xs/entries/coap.ts');
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
});

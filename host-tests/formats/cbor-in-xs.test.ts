// The device's CBOR path inside the real XS engine (xsnap): the built-in codec and SenML CBOR give in XS
// exactly what they give in V8, for RFC 8949 Appendix A, the SenML packs and 2000 seeded mutations.
import { strict as assert } from 'node:assert';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { builtinCborCodec } from '../../firmware/formats/cbor-codec';
import { createFormats } from '../../firmware/formats/index';
import { createCborXCodec } from '../../firmware/platform/node/cbor-x';
import { prng, mutate } from '../codec/helpers';
import { APPENDIX_A, APPENDIX_A_REFUSED, RFC8428_PACK, LWM2M_DEVICE, LWM2M_SECURITY, COMPOSITE_PATHS, randomPack } from './cbor-vectors';
import { fromHex, toHex } from '../../firmware/util/hex';
import { describeRaw, describeSenml, type SenmlCase } from './cbor-describe';

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('CBOR in XS (built-in codec, as on the device)', function () {
  this.timeout(30000);
  let host: XsHost;
  before(async () => {
    host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/cbor.ts')).code });
  });
  after(() => host?.close());

  it('raw decode/re-encode of Appendix A, the SenML packs, random packs and 2000 mutations equals V8', async () => {
    const rnd = prng(0xc0de);
    const seeds = [
      ...APPENDIX_A.map(([, h]) => h),
      ...APPENDIX_A_REFUSED,
      RFC8428_PACK,
      ...[LWM2M_DEVICE, LWM2M_SECURITY, COMPOSITE_PATHS].map((v) => toHex(builtinCborCodec.encode(v))),
    ];
    for (let k = 0; k < 50; k++) seeds.push(toHex(builtinCborCodec.encode(randomPack(rnd, 1 + Math.floor(rnd() * 20)))));
    const inputs = [...seeds];
    for (let k = 0; k < 2000; k++) inputs.push(toHex(mutate(fromHex(seeds[k % seeds.length]), rnd)));
    const inXs = await host.callJson<unknown[]>('raw', inputs);
    const inV8 = viaJson(describeRaw(inputs));
    assert.equal(inXs.length, inV8.length);
    for (let i = 0; i < inV8.length; i++) assert.deepEqual(inXs[i], inV8[i], `input ${i}: ${inputs[i].slice(0, 60)}`);
    assert.ok(inV8.some((r) => 'error' in (r as object)) && inV8.some((r) => 'value' in (r as object)));
  });

  it('SenML CBOR through the formats layer in XS equals V8 with the built-in codec, and cbor-x on the valid packs', async () => {
    const rnd = prng(112);
    const valid: SenmlCase[] = [
      { payload: toHex(builtinCborCodec.encode(LWM2M_DEVICE)), base: { objectId: 3, instanceId: 0 } },
      { payload: toHex(builtinCborCodec.encode(LWM2M_SECURITY)), base: { objectId: 0, instanceId: 1 } },
    ];
    const cases = [...valid];
    for (let k = 0; k < 1000; k++) {
      const c = valid[k % 2];
      cases.push({ ...c, payload: toHex(mutate(fromHex(c.payload), rnd)) });
    }
    const inXs = await host.callJson<{ codec: string; results: unknown[] }>('senml', cases);
    assert.equal(inXs.codec, 'built-in');
    const inV8 = viaJson(describeSenml(cases, createFormats({ cbor: builtinCborCodec })));
    const inV8x = viaJson(describeSenml(valid, createFormats({ cbor: createCborXCodec() })));
    assert.deepEqual(inXs.results, inV8);
    assert.deepEqual(inXs.results.slice(0, 2), inV8x);
    assert.ok(inV8.slice(0, 2).every((r) => 'records' in (r as object)));
  });
});

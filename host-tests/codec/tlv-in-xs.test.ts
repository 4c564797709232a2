// The TLV codec inside XS: XS has no WebAssembly, so tlv.wasm runs as wasm2js
// JavaScript. Its raw results equal the wasm in V8 call for call, and the
// formats layer over it (and over the pure-TS backend) in XS gives what the
// wasm backend gives in V8.
import assert from 'node:assert/strict';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { ACL, DEVICE, DEVICE_WITH_INSTANCE, SERVER, base, makeScript, replayInWasm } from '../native/tlv-script';
import { describeFormats, type FormatsCase } from './tlv-cases';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { ContentFormat, createFormats } from '../../firmware/formats';

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function cases(): FormatsCase[] {
  const spec: FormatsCase[] = [
    { format: ContentFormat.TLV, payload: DEVICE, base: base(3, 0) },
    { format: ContentFormat.TLV, payload: DEVICE_WITH_INSTANCE, base: base(3) },
    { format: ContentFormat.TLV, payload: ACL, base: base(2) },
    { format: ContentFormat.TLV, payload: SERVER, base: base(1) },
  ];
  let x = 0x5eed;
  const rnd = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  // The same Device instance in the other formats (SenML CBOR goes through cbor-x in XS).
  const formats = createFormats();
  const device = formats.decode(ContentFormat.TLV, Buffer.from(DEVICE, 'hex'), base(3, 0));
  assert.ok(device.ok);
  for (const format of [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_JSON]) {
    const e = formats.encode(format, base(3, 0), device.value.records);
    if (e.ok) spec.push({ format, payload: Buffer.from(e.value).toString('hex'), base: base(3, 0) });
  }
  assert.ok(spec.length >= 6, 'SenML JSON and CBOR encodings exist');
  const out = [...spec];
  for (let i = 0; i < 600; i++) {
    const c = spec[i % spec.length];
    const b = c.payload.match(/../g)!;
    const j = Math.floor(rnd() * b.length);
    if (rnd() < 0.7)
      b[j] = Math.floor(rnd() * 256)
        .toString(16)
        .padStart(2, '0');
    else b.length = j;
    out.push({ ...c, payload: b.join('') });
  }
  return out;
}

describe('TLV in XS (wasm2js build of tlv.wasm)', function () {
  this.timeout(30000);
  let host: XsHost;
  before(async () => {
    host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/tlv.ts')).code });
  });
  after(() => host?.close());

  it('replays the codec call script with results identical to the wasm in V8', async () => {
    const script = makeScript();
    const inXs = await host.callJson<string[]>('replay', script);
    const inV8 = replayInWasm(script);
    assert.equal(inXs.length, inV8.length);
    for (let i = 0; i < inV8.length; i++) {
      if (inXs[i] !== inV8[i]) assert.fail(`call ${i}: XS ${inXs[i].slice(0, 80)} != V8 ${inV8[i].slice(0, 80)}`);
    }
  });

  for (const backend of ['wasm2js', 'ts'] as const) {
    it(`decodes and re-encodes the spec examples (TLV, SenML JSON/CBOR) and 600 mutations through formats over ${backend} in XS as V8 does over wasm`, async () => {
      const cs = cases();
      const inXs = await host.callJson<unknown[]>('formats', { backend, cases: cs });
      // V8 with the codecs XS has: the wasm TLV build and the built-in CBOR codec.
      const inV8 = viaJson(describeFormats(cs, createFormats({ tlv: loadTlvWasm() })));
      assert.deepEqual(inXs, inV8);
      const first = inXs[0] as { encoded: { ok: boolean; value: string } };
      assert.equal(first.encoded.value, `hex:${DEVICE.toLowerCase()}`);
      assert.ok(
        inV8.some((r) => (r as { ok?: boolean }).ok === false),
        'some mutations are rejected',
      );
    });
  }
});

// The TLV codec as native C for the device: the wasm2c output of the device
// build (build/out/tlv-device.wasm: 4096-byte payloads, 256 entries), our
// static runtime and the XS binding compile warning-free (-Wall -Wextra
// -Werror) for the host and for 32-bit Xtensa; the host build of the C gives
// the same bytes as tlv-device.wasm in V8 for the Core spec examples, round
// trips of every data type, thousands of seeded mutations and calls at and
// just over the device bounds; the static linear memory is exactly what the
// module uses and an access past it traps (-100 from the binding) instead of
// touching other RAM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildAllNative, formatSizes, type NativeBuild } from '../../build/c-test/native-checks';
import { boundsScript, makeScript, replayInWasm, TLV_DEVICE_WASM_URL } from './tlv-script';
import { loadTlvWasm } from '../../firmware/platform/node/tlv-wasm';
import { ContentFormat } from '../../firmware/formats';
import { formatErrorCode } from '../../firmware/lwm2m/engine/refusal';
import { formatsOn } from '../support/formats';
import { TLV_TOO_LARGE, TLV_TOO_MANY } from '../../firmware/codec/tlv-constants';
import { DEVICE_MAX_REASSEMBLY_SIZE } from '../../firmware/platform/moddable/device-config';
import { Code } from '../../firmware/coap/message';
import type { CoapResponse } from '../../firmware/coap/endpoint';
import { CLIENT, SERVER, bytesOf, world } from '../coap/helpers';

const REQUEST_ENTITY_TOO_LARGE = 141; // 4.13

function runVectors(bin: string, script: string[]): string[] {
  const r = spawnSync(bin, [], { input: script.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split('\n');
}

function assertSame(got: string[], expected: string[], script: string[]): void {
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== expected[i])
      assert.fail(`call ${i} (${script[i].slice(0, 60)}…): C ${got[i].slice(0, 80)} != wasm ${expected[i].slice(0, 80)}`);
  }
}

describe('native TLV (wasm2c C of tlv-device.wasm)', function () {
  this.timeout(120000);
  let built: NativeBuild;
  let deviceWasm: Uint8Array;

  before(() => {
    // Throws with an install hint (wabt, gcc-xtensa-lx106, picolibc-xtensa-lx106-elf) when a tool is missing.
    built = buildAllNative();
    deviceWasm = readFileSync(TLV_DEVICE_WASM_URL);
  });

  it('compiles tlv.c, the static runtime and the XS binding with -Wall -Wextra -Werror for the host and Xtensa', () => {
    const units = (t: string) => built.sizes.filter((r) => r.target === t).map((r) => r.unit);
    assert.deepEqual(units('host'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    assert.deepEqual(units('xtensa-lx106'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    for (const r of built.sizes) assert.ok(r.text > 0, `${r.target} ${r.unit} has code`);
    console.log(
      `      wasm2c ${built.wasm2cVersion}; device bounds ${built.layout.maxPayload} B / ${built.layout.maxEntries} entries, ` +
        `linear memory ${built.layout.memoryBytes} B\n${formatSizes(built.sizes).replace(/^/gm, '      ')}`,
    );
  });

  it('sizes the static linear memory to the module: __heap_base rounded to 16, far below the 64 KiB page', () => {
    const { maxPayload, maxEntries, memoryEnd, memoryBytes } = built.layout;
    assert.equal(maxPayload, Number(process.env.TLV_DEVICE_MAX_PAYLOAD || 4096));
    assert.equal(maxEntries, Number(process.env.TLV_DEVICE_MAX_ENTRIES || 256));
    assert.equal(memoryBytes % 16, 0);
    assert.ok(memoryBytes >= memoryEnd && memoryBytes - memoryEnd < 16);
    // IN + OUT + the entry table + the container stack, and little else.
    assert.ok(memoryEnd >= 2 * maxPayload + 32 * maxEntries + 24 && memoryEnd <= 2 * maxPayload + 32 * maxEntries + 64, `end ${memoryEnd}`);
    assert.match(
      readFileSync(new URL('../../build/out/c/tlv-api.h', import.meta.url), 'utf8'),
      new RegExp(`#define TLV_RT_MEMORY_BYTES ${memoryBytes}\\b`),
    );
    const rt = built.sizes.find((r) => r.target === 'xtensa-lx106' && r.unit === 'wasm-rt-static')!;
    assert.ok(rt.bss >= memoryBytes && rt.bss < memoryBytes + 256, `Xtensa .bss ${rt.bss}`);
  });

  it('gives byte-identical results to tlv-device.wasm in V8 (spec examples, type limits, 2000 mutations)', () => {
    const script = makeScript(deviceWasm);
    assert.ok(script.length > 2000, `script has ${script.length} calls`);
    const expected = replayInWasm(script, deviceWasm);
    const got = runVectors(built.vectors, script);
    assertSame(got, expected, script);
    assert.ok(
      expected.some((l) => l.startsWith('D -')),
      'some mutations were rejected',
    );
    assert.ok(
      expected.some((l) => l.startsWith('E ') && !l.startsWith('E -')),
      'some encodes succeeded',
    );
    assert.ok(!got.some((l) => l.startsWith('T ')), 'no trap in C');
  });

  it('agrees with tlv-device.wasm at and just over the device bounds (4096 B / 256 entries ok; 4097 too large, 257 too many)', () => {
    const { maxPayload, maxEntries } = built.layout;
    const script = boundsScript(maxPayload, maxEntries);
    const expected = replayInWasm(script, deviceWasm);
    const got = runVectors(built.vectors, script);
    assertSame(got, expected, script);
    const ret = got.map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(ret, [
      1, // decode: one resource, maxPayload (4096) bytes
      1, // decode(maxPayload) of the same bytes, still in IN
      TLV_TOO_LARGE, // decode(maxPayload + 1): the codec's own length check
      maxEntries,
      TLV_TOO_MANY, // maxEntries (256) / + 1 entries
      0,
      TLV_TOO_MANY, // decodeValues maxEntries / + 1
      2 * maxEntries,
      TLV_TOO_MANY, // encode maxEntries / + 1 commands (2-byte TLVs)
      maxPayload,
      TLV_TOO_LARGE, // encode output of maxPayload / + 1 bytes
    ]);
  });

  it('answers a TLV over the device bound with 4.13 through the formats layer (the backend the device uses)', () => {
    const formats = formatsOn({ tlv: loadTlvWasm(deviceWasm) });
    {
      const at = { objectId: 9999, instanceId: 0 };
      const tlv = (n: number) => Uint8Array.from([0xd0, 0x05, n >> 8, n & 0xff, ...new Uint8Array(n)]);
      const max = loadTlvWasm(deviceWasm).maxPayload;
      const ok = formats.decode(ContentFormat.TLV, tlv(max - 4), at, () => ({ type: 'opaque', multiple: false }));
      assert.ok(ok.ok, `${max}-byte TLV decodes`);
      const big = formats.decode(ContentFormat.TLV, tlv(max - 3), at, () => ({ type: 'opaque', multiple: false }));
      assert.ok(!big.ok && formatErrorCode(big.kind) === REQUEST_ENTITY_TOO_LARGE, JSON.stringify(big));
      const enc = formats.encode(ContentFormat.TLV, at, [{ path: { ...at, resourceId: 5 }, value: new Uint8Array(max - 3) }], () => ({
        type: 'opaque',
        multiple: false,
      }));
      assert.ok(!enc.ok && formatErrorCode(enc.kind) === REQUEST_ENTITY_TOO_LARGE, JSON.stringify(enc));
    }
  });

  it('reassembles block-wise bodies up to 8 KiB on the device (a largest TLV reaches the handler) and answers 4.13 above', async () => {
    assert.equal(DEVICE_MAX_REASSEMBLY_SIZE, 8192);
    assert.ok(DEVICE_MAX_REASSEMBLY_SIZE >= built.layout.maxPayload);
    const w = world();
    const device = w.endpoint(SERVER.address, SERVER.port, { maxReassemblySize: DEVICE_MAX_REASSEMBLY_SIZE });
    const server = w.endpoint(CLIENT.address, CLIENT.port);
    const got: number[] = [];
    device.onRequest = (req) => {
      got.push(req.payload.length);
      return { code: Code.CHANGED };
    };
    const put = async (n: number): Promise<number> => {
      let res: CoapResponse | undefined;
      server.request(SERVER, { method: Code.PUT, path: ['9999', '0'], payload: bytesOf(n) }).then((r) => {
        res = r;
      });
      await w.clock.runUntil(() => res !== undefined, 60_000);
      return res!.code;
    };
    assert.equal(await put(built.layout.maxPayload), Code.CHANGED);
    assert.equal(await put(DEVICE_MAX_REASSEMBLY_SIZE), Code.CHANGED);
    assert.equal(await put(DEVICE_MAX_REASSEMBLY_SIZE + 1), Code.REQUEST_ENTITY_TOO_LARGE);
    assert.deepEqual(got, [built.layout.maxPayload, DEVICE_MAX_REASSEMBLY_SIZE]);
  });

  it('traps an access past the static memory as -100 through the XS binding, writes nothing, and keeps working', () => {
    const r = spawnSync(built.harness, [], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const v = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]),
    );
    assert.equal(Number(v.memory), built.layout.memoryBytes, 'the host buffer XS sees is TLV_RT_MEMORY_BYTES');
    assert.equal(Number(v.capacity), built.layout.memoryBytes);
    assert.equal(v.decode, '2');
    assert.equal(v.last_bytes, '0', 'an 8-byte read ending at the last byte is inside');
    assert.equal(v.last_value, '102030405060708');
    assert.equal(v.one_past, '-100', 'one byte past the end traps');
    assert.equal(v.one_past_trap, 'out of bounds memory access');
    assert.equal(v.one_past_entry_unchanged, '1', 'nothing was written');
    assert.equal(v.far_past, '-100');
    assert.equal(v.decode_after, '2', 'the codec works after a trap');
  });
});

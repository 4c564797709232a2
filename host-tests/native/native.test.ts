// The TLV codec as native C for the device: the wasm2c output, our static
// runtime and the XS binding compile warning-free (-Wall -Wextra -Werror) for
// the host and for 32-bit Xtensa, and the host build of the C gives the same
// bytes as the wasm in V8 for the Core spec examples, round trips of every
// data type and thousands of seeded mutations.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildAllNative, formatSizes, type SizeRow } from '../../build/c-test/native-checks';
import { makeScript, replayInWasm } from './tlv-script';

describe('native TLV (wasm2c C for the device)', function () {
  this.timeout(120000);
  let built: { vectors: string; sizes: SizeRow[]; wasm2cVersion: string };

  before(() => {
    // Throws with an install hint (wabt, gcc-xtensa-lx106, picolibc-xtensa-lx106-elf) when a tool is missing.
    built = buildAllNative();
  });

  it('compiles tlv.c, the static runtime and the XS binding with -Wall -Wextra -Werror for the host and Xtensa', () => {
    const units = (t: string) => built.sizes.filter((r) => r.target === t).map((r) => r.unit);
    assert.deepEqual(units('host'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    assert.deepEqual(units('xtensa-lx106'), ['tlv', 'wasm-rt-static', 'tlv-native']);
    for (const r of built.sizes) assert.ok(r.text > 0, `${r.target} ${r.unit} has code`);
    console.log(`      wasm2c ${built.wasm2cVersion}\n${formatSizes(built.sizes).replace(/^/gm, '      ')}`);
  });

  it('gives byte-identical results to the wasm in V8 (spec examples, type limits, 2000 mutations)', () => {
    const script = makeScript();
    assert.ok(script.length > 2000, `script has ${script.length} calls`);
    const expected = replayInWasm(script);
    const r = spawnSync(built.vectors, [], { input: script.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trimEnd().split('\n');
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== expected[i]) assert.fail(`call ${i} (${script[i].slice(0, 60)}…): C ${got[i].slice(0, 80)} != wasm ${expected[i].slice(0, 80)}`);
    }
    assert.ok(expected.some((l) => l.startsWith('D -')), 'some mutations were rejected');
    assert.ok(expected.some((l) => l.startsWith('E ') && !l.startsWith('E -')), 'some encodes succeeded');
    assert.ok(!got.some((l) => l.startsWith('T ')), 'no trap in C');
  });
});

// The core's own UTF-8 (no TextEncoder on the device), checked against Node's.
import assert from 'node:assert/strict';
import { utf8Decode, utf8DecodeStrict, utf8Encode } from '../../firmware/util/utf8';
import { SeededRandom } from '../support/seeded-random';

describe('utf8', () => {
  it('encodes and decodes like TextEncoder/TextDecoder, across chunk boundaries', () => {
    const rnd = new SeededRandom(5);
    const pool = ['a', 'é', '€', '𝄞', 'Z', '中', '\u0000', '\u07ff', '\uffff'];
    for (const len of [0, 1, 1023, 1024, 1025, 5000]) {
      let s = '';
      for (let i = 0; i < len; i++) s += pool[rnd.int(pool.length)];
      const bytes = utf8Encode(s);
      assert.deepEqual(bytes, new Uint8Array(new TextEncoder().encode(s)));
      assert.equal(utf8DecodeStrict(bytes), s);
    }
  });

  it('encodes a lone surrogate as U+FFFD', () => {
    assert.deepEqual([...utf8Encode('a\ud800b')], [0x61, 0xef, 0xbf, 0xbd, 0x62]);
  });

  for (const [name, bytes] of [
    ['overlong 2-byte', [0xc0, 0xaf]],
    ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['truncated', [0xe2, 0x82]],
    ['stray continuation', [0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['0xff', [0xff]],
  ] as Array<[string, number[]]>) {
    it(`rejects ${name} in strict mode and replaces it in lenient mode`, () => {
      assert.equal(utf8DecodeStrict(Uint8Array.from(bytes)), undefined);
      assert.match(utf8Decode(Uint8Array.from([0x41, ...bytes])), /^A\ufffd/);
    });
  }

  it('decodes a sub-range', () => {
    assert.equal(utf8DecodeStrict(utf8Encode('xx€yy'), 2, 5), '€');
  });
});

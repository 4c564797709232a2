// TLS_PSK_WITH_AES_128_CBC_SHA256 records open at a cost set by their length
// alone (Lucky Thirteen): records of one length with no padding, some, the
// most that fits, a padding whose bytes are wrong, a padding_length too big
// for the record, and a bad MAC all make the same SHA-256 work (blocks and
// calls, counted in the crypto port), and only the good ones open.
import assert from 'node:assert/strict';
import { suiteById } from '../../firmware/dtls/cipher-suite';
import { CipherSuite, ContentType, DTLS_1_2 } from '../../firmware/dtls/constants';
import type { DtlsCrypto } from '../../firmware/dtls/crypto';
import { additionalData } from '../../firmware/dtls/record';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { xsHostCrypto } from '../xs-harness/port/crypto';
import { SeededRandom } from '../support/seeded-random';

const blocks = (n: number): number => Math.floor((n + 8) / 64) + 1;
const total = (d: Uint8Array[]): number => d.reduce((n, x) => n + x.length, 0);

/** The port under test with every SHA-256 block it computes counted (HMAC: the padded key, the data, the outer hash). */
function counting(inner: DtlsCrypto): DtlsCrypto & { work(): string; reset(): void } {
  let compressions = 0;
  let calls = 0;
  return {
    ...inner,
    sha256: (...d) => {
      calls++;
      compressions += blocks(total(d));
      return inner.sha256(...d);
    },
    hmacSha256: (k, ...d) => {
      calls++;
      compressions += blocks(64 + total(d)) + blocks(64 + 32);
      return inner.hmacSha256(k, ...d);
    },
    work: () => `${compressions} blocks in ${calls} calls`,
    reset: () => {
      compressions = 0;
      calls = 0;
    },
  };
}

const SUITE = suiteById(CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256)!;
const KEY_BLOCK = Uint8Array.from({ length: SUITE.keyBlockLength }, (_, i) => (i * 7 + 3) & 0xff);
// The client's write keys (RFC 5246 §6.3): client_write_MAC_key first, client_write_key after both MAC keys.
const MAC_KEY = KEY_BLOCK.slice(0, 32);
const ENC_KEY = KEY_BLOCK.slice(64, 80);
const SEQ = 5;

/** A record's fragment of `blockLength` bytes (after the IV) whose last byte says `padding`, built by hand. */
function record(blockLength: number, padding: number, spoil: 'none' | 'padding' | 'mac' = 'none'): Uint8Array {
  const contentLength = Math.max(0, blockLength - 1 - 32 - padding);
  const content = Uint8Array.from({ length: contentLength }, (_, i) => i & 0xff);
  const mac = nodeCrypto.hmacSha256(MAC_KEY, additionalData(1, SEQ, ContentType.application_data, DTLS_1_2, contentLength), content);
  const block = new Uint8Array(blockLength);
  block.set(content, 0);
  block.set(mac.subarray(0, Math.min(32, blockLength - contentLength - 1)), contentLength);
  block.fill(padding, Math.min(blockLength - 1, contentLength + 32));
  if (spoil === 'padding') block[blockLength - 2] ^= 1;
  if (spoil === 'mac') block[contentLength] ^= 1;
  const iv = new Uint8Array(16).fill(9);
  const out = new Uint8Array(16 + blockLength);
  out.set(iv, 0);
  out.set(nodeCrypto.aes128CbcEncrypt(ENC_KEY, iv, block), 16);
  return out;
}

describe('dtls: CBC record check in constant work (Lucky Thirteen)', () => {
  for (const [name, port] of [
    ['node', nodeCrypto],
    ["noble (xs-host, the device's JavaScript HMAC)", xsHostCrypto],
  ] as const) {
    it(`${name}: 320-byte records with padding 0, 15, 63, 255, bad padding bytes, a too-long padding_length or a bad MAC cost the same`, () => {
      const crypto = counting(port);
      const r = SUITE.protection(crypto, new SeededRandom(1), KEY_BLOCK.slice(), true);
      const open = (fragment: Uint8Array): { ok: boolean; work: string } => {
        crypto.reset();
        const ok = r.open(ContentType.application_data, 1, SEQ, DTLS_1_2, fragment) !== null;
        return { ok, work: crypto.work() };
      };
      const cases: Array<[string, Uint8Array, boolean]> = [
        ['padding 0', record(320, 0), true],
        ['padding 15', record(320, 15), true],
        ['padding 63', record(320, 63), true],
        ['padding 255', record(320, 255), true],
        ['padding bytes wrong', record(320, 63, 'padding'), false],
        ['bad MAC', record(320, 15, 'mac'), false],
      ];
      const work = cases.map(([label, fragment, good]) => {
        const o = open(fragment);
        assert.equal(o.ok, good, label);
        return `${label}: ${o.work}`;
      });
      assert.equal(new Set(work.map((w) => w.split(': ')[1])).size, 1, work.join('; '));
      // 48 bytes hold at most 15 bytes of padding after a 32-byte MAC: 40 is too long, and costs what padding 0 costs.
      const short = open(record(48, 40));
      assert.equal(short.ok, false);
      assert.equal(short.work, open(record(48, 0)).work);
    });
  }

  it('records our seal makes still open, at every content length around the block boundaries', () => {
    const w = SUITE.protection(nodeCrypto, new SeededRandom(2), KEY_BLOCK.slice(), true);
    const r = SUITE.protection(nodeCrypto, new SeededRandom(3), KEY_BLOCK.slice(), true);
    for (let len = 0; len < 200; len++) {
      const pt = Uint8Array.from({ length: len }, (_, i) => i);
      const sealed = w.seal(ContentType.application_data, 1, len, DTLS_1_2, pt);
      assert.deepEqual(r.open(ContentType.application_data, 1, len, DTLS_1_2, sealed), pt, `length ${len}`);
    }
  });
});

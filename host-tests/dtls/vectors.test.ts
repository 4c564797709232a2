// Known-answer tests of the crypto the DTLS core uses, run against each
// crypto port: the TLS 1.2 PRF (SHA-256), AES-CCM with the RFC 3610 packet
// vectors (the core's CCM over each port's AES block function), CCM_8 with
// the 12-byte TLS nonce (the core's CCM against node:crypto's native one),
// SHA-256, HMAC-SHA-256, AES-128 and AES-128-CBC, and the PSK premaster.
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../firmware/util/hex';
import { utf8Encode } from '../../firmware/util/utf8';
import { ccmOpen, ccmSeal } from '../../firmware/dtls/ccm';
import { prf, pskPremasterSecret } from '../../firmware/dtls/prf';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { PORTS } from './helpers';
import { SeededRandom } from '../support/seeded-random';

// RFC 3610 §8, packet vectors #1, #2 (M = 8) and #7 (M = 10): 8-byte header as AAD.
const KEY_3610 = 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf';
const RFC3610 = [
  {
    name: '#1',
    nonce: '00000003020100a0a1a2a3a4a5',
    M: 8,
    input: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e',
    output: '0001020304050607588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0',
  },
  {
    name: '#2',
    nonce: '00000004030201a0a1a2a3a4a5',
    M: 8,
    input: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    output: '000102030405060772c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916',
  },
  {
    name: '#7',
    nonce: '00000009080706a0a1a2a3a4a5',
    M: 10,
    input: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e',
    output: '00010203040506070135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c048c56602c97acbb7490',
  },
];

// The TLS 1.2 PRF (SHA-256) vector from the IETF TLS list, also what `openssl kdf TLS1-PRF` gives.
const PRF_SECRET = '9bbe436ba940f017b17652849a71db35';
const PRF_SEED = 'a0ba9f936cda311827a6f796ffd5198c';
const PRF_OUT =
  'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
  '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66';

describe('dtls crypto vectors', () => {
  for (const { name, crypto } of PORTS) {
    describe(`${name} port`, () => {
      it('TLS 1.2 PRF with SHA-256: 100 bytes of the known answer', () => {
        assert.equal(toHex(prf(crypto, fromHex(PRF_SECRET), utf8Encode('test label'), fromHex(PRF_SEED), 100)), PRF_OUT);
        // The two-part seed form used for the key block gives the same bytes.
        const seed = fromHex(PRF_SEED);
        assert.equal(
          toHex(prf(crypto, fromHex(PRF_SECRET), utf8Encode('test label'), seed.subarray(0, 5), 100, seed.subarray(5))),
          PRF_OUT,
        );
      });

      it('SHA-256 (FIPS 180-2 "abc") and HMAC-SHA-256 (RFC 4231 case 2), also over split input', () => {
        assert.equal(toHex(crypto.sha256(utf8Encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        assert.equal(
          toHex(crypto.sha256(utf8Encode('a'), utf8Encode(''), utf8Encode('bc'))),
          'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        );
        const mac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
        assert.equal(toHex(crypto.hmacSha256(utf8Encode('Jefe'), utf8Encode('what do ya want for nothing?'))), mac);
        assert.equal(toHex(crypto.hmacSha256(utf8Encode('Jefe'), utf8Encode('what do ya '), utf8Encode('want for nothing?'))), mac);
      });

      it('AES-128 block (FIPS-197 C.1) and AES-128-CBC (SP 800-38A F.2.1/F.2.2)', () => {
        const out = new Uint8Array(16);
        crypto.aes128(fromHex('000102030405060708090a0b0c0d0e0f')).encryptBlock(fromHex('00112233445566778899aabbccddeeff'), out);
        assert.equal(toHex(out), '69c4e0d86a7b0430d8cdb78070b4c55a');
        const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
        const iv = fromHex('000102030405060708090a0b0c0d0e0f');
        const pt = fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
        const ct = '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2';
        assert.equal(toHex(crypto.aes128CbcEncrypt(key, iv, pt)), ct);
        assert.equal(toHex(crypto.aes128CbcDecrypt(key, iv, fromHex(ct))), toHex(pt));
      });

      it('AES-CCM RFC 3610 packet vectors #1, #2 (M=8) and #7 (M=10) through the core CCM; a flipped bit fails', () => {
        const aes = crypto.aes128(fromHex(KEY_3610));
        for (const v of RFC3610) {
          const input = fromHex(v.input);
          const aad = input.subarray(0, 8);
          const sealed = ccmSeal(aes, fromHex(v.nonce), aad, input.subarray(8), v.M);
          assert.equal(toHex(aad) + toHex(sealed), v.output, v.name);
          const opened = ccmOpen(aes, fromHex(v.nonce), aad, sealed, v.M);
          assert.equal(opened && toHex(opened), toHex(input.subarray(8)), v.name);
          for (const bit of [0, sealed.length * 8 - 1, (sealed.length - v.M) * 8 + 3]) {
            const bad = sealed.slice();
            bad[bit >> 3] ^= 1 << (bit & 7);
            assert.equal(ccmOpen(aes, fromHex(v.nonce), aad, bad, v.M), null, `${v.name} bit ${bit}`);
          }
          assert.equal(ccmOpen(aes, fromHex(v.nonce), aad.subarray(1), sealed, v.M), null, `${v.name} other AAD`);
        }
      });
    });
  }

  it("CCM_8 with the 12-byte TLS nonce: the core over each port's block function equals node:crypto's native CCM", () => {
    const rnd = new SeededRandom(0xcc8);
    const native = nodeCrypto.ccm8!;
    for (let i = 0; i < 200; i++) {
      const key = rnd.bytes(16);
      const nonce = rnd.bytes(12);
      const aad = rnd.bytes(13);
      const pt = rnd.bytes(i % 3 === 0 ? rnd.int(17) : rnd.int(300));
      const expected = native.seal(key, nonce, aad, pt);
      for (const { name, crypto } of PORTS) {
        const aes = crypto.aes128(key);
        const sealed = ccmSeal(aes, nonce, aad, pt, 8);
        assert.equal(toHex(sealed), toHex(expected), `${name} case ${i}`);
        assert.equal(toHex(ccmOpen(aes, nonce, aad, expected, 8)!), toHex(pt), `${name} opens native, case ${i}`);
      }
      assert.equal(toHex(native.open(key, nonce, aad, expected)!), toHex(pt));
      const bad = expected.slice();
      bad[rnd.int(bad.length)] ^= 1 << rnd.int(8);
      assert.equal(native.open(key, nonce, aad, bad), null);
      assert.equal(ccmOpen(nodeCrypto.aes128(key), nonce, aad, bad, 8), null);
    }
  });

  it('PSK premaster secret: uint16 N, N zeros, uint16 N, key (RFC 4279 §2)', () => {
    assert.equal(toHex(pskPremasterSecret(fromHex('a1b2c3'))), '0003' + '000000' + '0003' + 'a1b2c3');
  });
});

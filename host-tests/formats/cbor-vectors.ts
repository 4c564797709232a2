// Test vectors shared by the CBOR tests in V8 and in XS.
import type { CborValue } from '../../firmware/formats/cbor';

export const M = (...e: Array<[number | string, CborValue]>) => new Map<number | string, CborValue>(e);

export const ints1to25 = Array.from({ length: 25 }, (_, i) => i + 1);

// RFC 8949 Appendix A: [value, hex, preferred (our encoder gives exactly this hex)].
export const APPENDIX_A: Array<[CborValue, string, boolean]> = [
  [0, '00', true],
  [1, '01', true],
  [10, '0a', true],
  [23, '17', true],
  [24, '1818', true],
  [25, '1819', true],
  [100, '1864', true],
  [1000, '1903e8', true],
  [1000000, '1a000f4240', true],
  [1000000000000, '1b000000e8d4a51000', true],
  [18446744073709551615n, '1bffffffffffffffff', true],
  [-18446744073709551616n, '3bffffffffffffffff', true],
  [-1, '20', true],
  [-10, '29', true],
  [-100, '3863', true],
  [-1000, '3903e7', true],
  // Floats: the encoder writes float32/64 only, so the float16 forms are decode-only.
  [0, 'f90000', false],
  [-0, 'f98000', false],
  [1, 'f93c00', false],
  [1.1, 'fb3ff199999999999a', true],
  [1.5, 'f93e00', false],
  [65504, 'f97bff', false],
  [100000, 'fa47c35000', false],
  [3.4028234663852886e38, 'fa7f7fffff', true],
  [1.0e300, 'fb7e37e43c8800759c', true],
  [5.960464477539063e-8, 'f90001', false],
  [0.00006103515625, 'f90400', false],
  [-4, 'f9c400', false],
  [-4.1, 'fbc010666666666666', true],
  [Infinity, 'f97c00', false],
  [NaN, 'f97e00', false],
  [-Infinity, 'f9fc00', false],
  [Infinity, 'fa7f800000', true],
  [NaN, 'fa7fc00000', true],
  [-Infinity, 'faff800000', true],
  [Infinity, 'fb7ff0000000000000', false],
  [NaN, 'fb7ff8000000000000', false],
  [-Infinity, 'fbfff0000000000000', false],
  [false, 'f4', true],
  [true, 'f5', true],
  [null, 'f6', true],
  [new Uint8Array(0), '40', true],
  [new Uint8Array([1, 2, 3, 4]), '4401020304', true],
  ['', '60', true],
  ['a', '6161', true],
  ['IETF', '6449455446', true],
  ['"\\', '62225c', true],
  ['\u00fc', '62c3bc', true],
  ['\u6c34', '63e6b0b4', true],
  ['\ud800\udd51', '64f0908591', true],
  [[], '80', true],
  [[1, 2, 3], '83010203', true],
  [[1, [2, 3], [4, 5]], '8301820203820405', true],
  [ints1to25, '98190102030405060708090a0b0c0d0e0f101112131415161718181819', true],
  [M(), 'a0', true],
  [M([1, 2], [3, 4]), 'a201020304', true],
  [M(['a', 1], ['b', [2, 3]]), 'a26161016162820203', true],
  [['a', M(['b', 'c'])], '826161a161626163', true],
  [M(['a', 'A'], ['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']), 'a56161614161626142616361436164614461656145', true],
  // Indefinite lengths: decode only (the encoder writes definite lengths).
  [new Uint8Array([1, 2, 3, 4, 5]), '5f42010243030405ff', false],
  ['streaming', '7f657374726561646d696e67ff', false],
  [[], '9fff', false],
  [[1, [2, 3], [4, 5]], '9f018202039f0405ffff', false],
  [[1, [2, 3], [4, 5]], '9f01820203820405ff', false],
  [[1, [2, 3], [4, 5]], '83018202039f0405ff', false],
  [[1, [2, 3], [4, 5]], '83019f0203ff820405', false],
  [ints1to25, '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', false],
  [M(['a', 1], ['b', [2, 3]]), 'bf61610161629f0203ffff', false],
  [['a', M(['b', 'c'])], '826161bf61626163ff', false],
  [M(['Fun', true], ['Amt', -2]), 'bf6346756ef563416d7421ff', false],
];

// Appendix A items outside the subset: tags (the codec refuses every tag), undefined and simple values.
export const APPENDIX_A_REFUSED = [
  'c249010000000000000000',
  'c349010000000000000000',
  'c074323031332d30332d32315432303a30343a30305a',
  'c11a514b67b0',
  'c1fb41d452d9ec200000',
  'd74401020304',
  'd818456449455446',
  'd82076687474703a2f2f7777772e6578616d706c652e636f6d',
  'f7',
  'f0',
  'f8ff',
];

// RFC 8428 §5.1.2 multiple-datapoints pack in SenML CBOR labels (bn -2, bt -3, bu -4, bver -1, n 0,
// u 1, v 2, t 6), written out by hand; 1.5 is a float16 as a sender may choose.
export const RFC8428_PACK =
  '87' +
  'a7' +
  '21781b' +
  '75726e3a6465763a6f773a3130653230373361303130383030363a' +
  '22fb41d303a15b001062' +
  '236141' +
  '2005' +
  '0067766f6c74616765' +
  '016156' +
  '02fb405e066666666666' +
  'a3' +
  '006763757272656e74' +
  '0624' +
  '02fb3ff3333333333333' +
  'a3' +
  '006763757272656e74' +
  '0623' +
  '02fb3ff4cccccccccccd' +
  'a3' +
  '006763757272656e74' +
  '0622' +
  '02fb3ff6666666666666' +
  'a3' +
  '006763757272656e74' +
  '0621' +
  '02f93e00' +
  'a3' +
  '006763757272656e74' +
  '0620' +
  '02fb3ff999999999999a' +
  'a2' +
  '006763757272656e74' +
  '02fb3ffb333333333333';
export const RFC8428_VALUE = [
  M([-2, 'urn:dev:ow:10e2073a0108006:'], [-3, 1.276020076001e9], [-4, 'A'], [-1, 5], [0, 'voltage'], [1, 'V'], [2, 120.1]),
  M([0, 'current'], [6, -5], [2, 1.2]),
  M([0, 'current'], [6, -4], [2, 1.3]),
  M([0, 'current'], [6, -3], [2, 1.4]),
  M([0, 'current'], [6, -2], [2, 1.5]),
  M([0, 'current'], [6, -1], [2, 1.6]),
  M([0, 'current'], [2, 1.7]),
];

// LwM2M shapes (Core §7.4.5): a Device Read, a Bootstrap-Write of a Security instance, a composite path list.
export const LWM2M_DEVICE = [
  M([-2, '/3/0/'], [0, '0'], [3, 'Open Mobile Alliance']),
  M([0, '1'], [3, 'Lightweight M2M Client']),
  M([0, '6/0'], [2, 1]),
  M([0, '6/1'], [2, 5]),
  M([0, '7/0'], [2, 3800]),
  M([0, '9'], [2, 100]),
  M([0, '13'], [2, 1367491215]),
  M([0, '14'], [3, '+02:00']),
  M([0, '16'], [3, 'U']),
];
export const LWM2M_SECURITY = [
  M([-2, '/0/1/'], [0, '0'], [3, 'coaps://lwm2m.example.com:5684']),
  M([0, '1'], [4, false]),
  M([0, '2'], [2, 0]),
  M([0, '3'], [8, new Uint8Array([0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74])]),
  M([0, '5'], [8, new Uint8Array(16).fill(0xa5)]),
  M([0, '10'], [2, 101]),
  M([0, '11'], [2, 2n ** 53n]),
];
export const COMPOSITE_PATHS = [M([0, '/3/0/0']), M([0, '/1/0']), M([-2, '/3/0/'], [0, '9'])];

/** Seeded random SenML records: every label SenML CBOR uses, every value type LwM2M writes. */
export function randomPack(rnd: () => number, n: number): Array<Map<number | string, CborValue>> {
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const pack: Array<Map<number | string, CborValue>> = [];
  for (let i = 0; i < n; i++) {
    const m = M();
    if (i === 0) m.set(-2, `/${Math.floor(rnd() * 65535)}/${Math.floor(rnd() * 10)}/`);
    m.set(0, String(Math.floor(rnd() * 30)));
    if (rnd() < 0.2) m.set(6, pick([-5, 0, 1.5, 1700000000]));
    const kind = Math.floor(rnd() * 9);
    if (kind === 0) m.set(2, Math.floor((rnd() - 0.5) * 2 ** (rnd() * 53)));
    else if (kind === 1) m.set(2, pick([2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n]));
    else if (kind === 2) m.set(2, pick([0.5, -1.25, 3.14, 1e-7, 1.7976931348623157e308, 2.5e10 + 0.5]));
    else if (kind === 3) m.set(3, pick(['', 'UQ', 'coap://[::1]:5683', 'Grüße ☃ 𝄞', 'x'.repeat(300)]));
    else if (kind === 4) m.set(4, rnd() < 0.5);
    else if (kind === 5)
      m.set(
        8,
        Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)),
      );
    else if (kind === 6) m.set('vlo', `${Math.floor(rnd() * 65535)}:${Math.floor(rnd() * 65535)}`);
    else if (kind === 7) m.set(2, Math.floor(rnd() * 2 ** 32));
    else m.set(2, -Math.floor(rnd() * 2 ** 32));
    pack.push(m);
  }
  return pack;
}

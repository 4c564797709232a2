// The two PSK cipher suites and their record protection:
// TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655 §3-4, mandatory for LwM2M 1.1 and
// RFC 7925 §4.2) and TLS_PSK_WITH_AES_128_CBC_SHA256 (RFC 5487 §3.1,
// GenericBlockCipher of RFC 5246 §6.2.3.2). One RecordProtection per
// direction per epoch, keyed once from the key block (RFC 5246 §6.3).
import type { AesBlockCipher, DtlsCrypto } from './crypto';
import type { Random } from '../platform/ports';
import { CipherSuite, MAX_PLAINTEXT_LENGTH } from './constants';
import { additionalData, writeSequenceNumber } from './record';
import { constantTimeEqual } from './bytes';
import { ccmOpen, ccmSeal } from './ccm';

/**
 * Protects and unprotects the fragments of one direction of one epoch. With a
 * `cid`, the plaintext is a DTLSInnerPlaintext, `type` is tls12_cid and the
 * MAC / AEAD input takes the RFC 9146 §5 form (additionalData in record.ts).
 */
export interface RecordProtection {
  /** Most bytes `seal` adds to a fragment (for MTU planning). */
  readonly overhead: number;
  seal(type: number, epoch: number, sequenceNumber: number, version: number, plaintext: Uint8Array, cid?: Uint8Array | null): Uint8Array;
  /** The plaintext, or null when the record does not authenticate (or decodes to more than 2^14 bytes). */
  open(
    type: number,
    epoch: number,
    sequenceNumber: number,
    version: number,
    fragment: Uint8Array,
    cid?: Uint8Array | null,
  ): Uint8Array | null;
}

export interface SuiteDefinition {
  readonly id: number;
  readonly name: string;
  /** key_block length: 2 × (mac key + enc key + fixed IV) (RFC 5246 §6.3). */
  readonly keyBlockLength: number;
  /** Builds the protection of one direction from the key block (`client` selects the client_write_* half). */
  protection(crypto: DtlsCrypto, random: Random, keyBlock: Uint8Array, client: boolean): RecordProtection;
}

/** The most a record's protection adds with any of our suites: CBC's explicit IV, MAC and a block of padding (64). */
export const MAX_PROTECTION_OVERHEAD = 16 + 32 + 16;

const CCM8_TAG = 8;
const CCM8_EXPLICIT_NONCE = 8;

/**
 * AES-128-CCM_8: nonce = client/server_write_IV (4) || nonce_explicit (8),
 * nonce_explicit = epoch || sequence_number (RFC 6655 §3; RFC 7925 §4.2),
 * sent in front of ciphertext || tag.
 */
class Ccm8Protection implements RecordProtection {
  readonly overhead = CCM8_EXPLICIT_NONCE + CCM8_TAG;
  private readonly aes: AesBlockCipher | null;

  constructor(
    private readonly crypto: DtlsCrypto,
    private readonly key: Uint8Array,
    private readonly salt: Uint8Array,
  ) {
    this.aes = crypto.ccm8 ? null : crypto.aes128(key);
  }

  private nonce(explicit: Uint8Array): Uint8Array {
    const n = new Uint8Array(12);
    n.set(this.salt, 0);
    n.set(explicit, 4);
    return n;
  }

  seal(type: number, epoch: number, seq: number, version: number, plaintext: Uint8Array, cid: Uint8Array | null = null): Uint8Array {
    const explicit = new Uint8Array(CCM8_EXPLICIT_NONCE);
    explicit[0] = epoch >>> 8;
    explicit[1] = epoch & 0xff;
    writeSequenceNumber(explicit, 2, seq);
    const aad = additionalData(epoch, seq, type, version, plaintext.length, cid);
    const nonce = this.nonce(explicit);
    const sealed = this.aes ? ccmSeal(this.aes, nonce, aad, plaintext, CCM8_TAG) : this.crypto.ccm8!.seal(this.key, nonce, aad, plaintext);
    const out = new Uint8Array(CCM8_EXPLICIT_NONCE + sealed.length);
    out.set(explicit, 0);
    out.set(sealed, CCM8_EXPLICIT_NONCE);
    return out;
  }

  open(type: number, epoch: number, seq: number, version: number, fragment: Uint8Array, cid: Uint8Array | null = null): Uint8Array | null {
    const length = fragment.length - this.overhead;
    if (length < 0 || length > MAX_PLAINTEXT_LENGTH) return null;
    const nonce = this.nonce(fragment.subarray(0, CCM8_EXPLICIT_NONCE));
    const aad = additionalData(epoch, seq, type, version, length, cid);
    const sealed = fragment.subarray(CCM8_EXPLICIT_NONCE);
    return this.aes ? ccmOpen(this.aes, nonce, aad, sealed, CCM8_TAG) : this.crypto.ccm8!.open(this.key, nonce, aad, sealed);
  }
}

const BLOCK = 16;
const SHA256_LENGTH = 32;
/** SHA-256 works on 64-byte blocks; a message of n bytes takes floor((n + 8) / 64) + 1 of them (padding and length). */
const SHA256_BLOCK = 64;
/** The most padding TLS allows (RFC 5246 §6.2.3.2): padding_length is one byte. */
const MAX_PADDING = 255;

function sha256Blocks(n: number): number {
  return Math.floor((n + 8) / SHA256_BLOCK) + 1;
}

/** 1 when v is negative, else 0 (v a 32-bit integer), without a branch. */
function negative(v: number): number {
  return (v >>> 31) & 1;
}

/** 1 when v is not 0, else 0 (v a 32-bit integer), without a branch. */
function nonZero(v: number): number {
  return negative(v | -v);
}

/**
 * Zeros hashed to even out the MAC's cost (see CbcSha256Protection.open): at most the blocks 256 bytes of padding can
 * take away from the MAC's input, and one more. Made at its first use, at run time (a preloaded module's buffers are
 * read-only on the device), never written.
 */
let evener: Uint8Array | null = null;
const EVENER_LENGTH = (Math.ceil((MAX_PADDING + 1) / SHA256_BLOCK) + 2) * SHA256_BLOCK;

/**
 * AES-128-CBC with HMAC-SHA256, MAC-then-encrypt (RFC 5246 §6.2.3.2): a random
 * explicit IV, then CBC(content || MAC || padding). Opening takes the same time
 * whatever the padding says (Lucky Thirteen, AlFardan and Paterson 2013): the
 * padding check reads a fixed window of the last 256 bytes without an early
 * exit and with no branch on its bytes, a bad padding is checked as padding 0
 * (and the MAC over that then fails), and after the MAC a few blocks of zeros are
 * hashed so that the SHA-256 blocks computed for a record depend on its length
 * only, never on how much of it was padding. A bad padding and a bad MAC look
 * the same: the record is dropped (RFC 6347 §4.1.2.7).
 */
class CbcSha256Protection implements RecordProtection {
  readonly overhead = BLOCK + SHA256_LENGTH + BLOCK;

  constructor(
    private readonly crypto: DtlsCrypto,
    private readonly random: Random,
    private readonly macKey: Uint8Array,
    private readonly key: Uint8Array,
  ) {}

  private mac(ad: Uint8Array, content: Uint8Array): Uint8Array {
    return this.crypto.hmacSha256(this.macKey, ad, content);
  }

  seal(type: number, epoch: number, seq: number, version: number, plaintext: Uint8Array, cid: Uint8Array | null = null): Uint8Array {
    const mac = this.mac(additionalData(epoch, seq, type, version, plaintext.length, cid), plaintext);
    const unpadded = plaintext.length + SHA256_LENGTH + 1;
    const padding = (BLOCK - (unpadded % BLOCK)) % BLOCK;
    const block = new Uint8Array(unpadded + padding);
    block.set(plaintext, 0);
    block.set(mac, plaintext.length);
    block.fill(padding, plaintext.length + SHA256_LENGTH);
    const iv = this.random.bytes(BLOCK);
    const cipher = this.crypto.aes128CbcEncrypt(this.key, iv, block);
    const out = new Uint8Array(BLOCK + cipher.length);
    out.set(iv, 0);
    out.set(cipher, BLOCK);
    return out;
  }

  open(type: number, epoch: number, seq: number, version: number, fragment: Uint8Array, cid: Uint8Array | null = null): Uint8Array | null {
    // The lengths here are the record's, which anyone sees: branching on them leaks nothing.
    const n = fragment.length - BLOCK;
    if (n < SHA256_LENGTH + 1 || n % BLOCK !== 0) return null;
    const block = this.crypto.aes128CbcDecrypt(this.key, fragment.subarray(0, BLOCK), fragment.subarray(BLOCK));
    const last = block.length - 1;
    const padding = block[last];
    // Too much padding for the record: bad (padding + 1 + MAC must fit).
    let bad = negative(last - SHA256_LENGTH - padding);
    // Every byte of the padding equals padding_length; a fixed window, each byte looked at the same way.
    const window = Math.min(MAX_PADDING + 1, block.length);
    for (let k = 0; k < window; k++) {
      const inPadding = negative(k - padding - 1); // k <= padding
      bad |= inPadding & nonZero(block[last - k] ^ padding);
    }
    // A bad padding is taken as none: the MAC is computed over the longest content and fails.
    const taken = padding & (bad - 1);
    const contentLength = last - SHA256_LENGTH - taken;
    const content = block.subarray(0, contentLength);
    const ad = additionalData(epoch, seq, type, version, contentLength, cid);
    const expected = this.mac(ad, content);
    this.evenOut(ad.length, contentLength, last - SHA256_LENGTH);
    const macOk = constantTimeEqual(expected, block.subarray(contentLength, contentLength + SHA256_LENGTH));
    if (bad !== 0 || !macOk || contentLength > MAX_PLAINTEXT_LENGTH) return null;
    return content.slice();
  }

  /**
   * Hashes zeros for the SHA-256 blocks the MAC's inner hash (HMAC key pad, `adLength` bytes, `contentLength` bytes)
   * took fewer than it would with no padding at all (`longest` bytes of content), and one block more, so that a record
   * costs the same blocks, in the same number of calls, whatever its padding.
   */
  private evenOut(adLength: number, contentLength: number, longest: number): void {
    const missing = sha256Blocks(SHA256_BLOCK + adLength + longest) - sha256Blocks(SHA256_BLOCK + adLength + contentLength);
    if (evener === null) evener = new Uint8Array(EVENER_LENGTH);
    this.crypto.sha256(evener.subarray(0, (missing + 1) * SHA256_BLOCK - 9));
  }
}

interface WriteKeys {
  macKey: Uint8Array;
  key: Uint8Array;
  iv: Uint8Array;
}

/**
 * One direction's share of the key block, laid out as RFC 5246 §6.3 says:
 * client_write_MAC_key, server_write_MAC_key, client_write_key,
 * server_write_key, client_write_IV, server_write_IV.
 */
function writeKeys(kb: Uint8Array, client: boolean, macLength: number, keyLength: number, ivLength: number): WriteKeys {
  const side = client ? 0 : 1;
  const mac = side * macLength;
  const key = 2 * macLength + side * keyLength;
  const iv = 2 * (macLength + keyLength) + side * ivLength;
  return { macKey: kb.slice(mac, mac + macLength), key: kb.slice(key, key + keyLength), iv: kb.slice(iv, iv + ivLength) };
}

/** A suite from its key sizes (the key block is 2 × their sum, RFC 5246 §6.3) and how it protects records. */
function suite(
  id: number,
  name: string,
  macLength: number,
  keyLength: number,
  ivLength: number,
  make: (crypto: DtlsCrypto, random: Random, keys: WriteKeys) => RecordProtection,
): SuiteDefinition {
  return Object.freeze({
    id,
    name,
    keyBlockLength: 2 * (macLength + keyLength + ivLength),
    protection: (crypto: DtlsCrypto, random: Random, kb: Uint8Array, client: boolean) =>
      make(crypto, random, writeKeys(kb, client, macLength, keyLength, ivLength)),
  });
}

const CCM_8 = suite(
  CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
  'TLS_PSK_WITH_AES_128_CCM_8',
  0,
  16,
  4,
  (crypto, _random, k) => new Ccm8Protection(crypto, k.key, k.iv),
);

// CBC in TLS 1.2 sends an explicit IV with each record, so none comes from the key block.
const CBC_SHA256 = suite(
  CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256,
  'TLS_PSK_WITH_AES_128_CBC_SHA256',
  32,
  16,
  0,
  (crypto, random, k) => new CbcSha256Protection(crypto, random, k.macKey, k.key),
);

/** Our preference order: CCM_8 first (mandatory in LwM2M and RFC 7925, and smaller records). */
export const SUPPORTED_SUITES: readonly SuiteDefinition[] = Object.freeze([CCM_8, CBC_SHA256]);

export function suiteById(id: number): SuiteDefinition | undefined {
  for (const s of SUPPORTED_SUITES) if (s.id === id) return s;
  return undefined;
}

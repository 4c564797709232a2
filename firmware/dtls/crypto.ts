// The crypto primitives the DTLS core needs from its platform port, kept
// small enough to map onto the Moddable SDK's `crypt` modules one to one:
// Digest("SHA256") for sha256, HMAC over it for hmacSha256, BlockCipher("AES")
// for aes128, Mode("CBC", cipher, iv) for the CBC pair. AES-CCM (RFC 3610)
// lives in the core (ccm.ts) over `aes128`; a port that has it natively
// (node:crypto) may offer `ccm8` and the core then uses that instead.
// Random bytes come from the existing `Random` port.

/** AES-128 keyed once (per epoch), then one 16-byte block at a time. */
export interface AesBlockCipher {
  /** Encrypts the 16 bytes of `input` into `output` (the two may be the same array). */
  encryptBlock(input: Uint8Array, output: Uint8Array): void;
}

/** AES-128-CCM with an 8-byte tag and a 12-byte nonce (RFC 6655 §3). */
export interface Ccm8 {
  /** ciphertext || tag. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when the tag does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export interface DtlsCrypto {
  /** SHA-256 of the concatenation of `data`. */
  sha256(...data: Uint8Array[]): Uint8Array;
  /** HMAC-SHA-256 (RFC 2104) of the concatenation of `data`. */
  hmacSha256(key: Uint8Array, ...data: Uint8Array[]): Uint8Array;
  /** A 16-byte key's AES-128 block encryption. */
  aes128(key: Uint8Array): AesBlockCipher;
  /** AES-128-CBC without padding; `data` is a whole number of blocks (TLS pads itself, RFC 5246 §6.2.3.2). */
  aes128CbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  aes128CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** Native AES-128-CCM_8 when the platform has it; absent, the core's ccm.ts runs over `aes128`. */
  readonly ccm8?: Ccm8;
}

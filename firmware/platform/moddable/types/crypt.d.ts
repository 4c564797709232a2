// The SDK's `crypt` module (modules/crypt/digest: crypt.js over modCrypt.c and
// the kcl C sources) as SDK 8.2.3 implements it, for the part the DTLS crypto
// port uses. The SDK's own typing (typings/crypt.d.ts) declares Digest only
// and takes strings or ArrayBuffers; this plain type module (not `declare
// module`) restates what the C code accepts, so the port casts the imported
// namespace once (crypto.ts) and type-checks the same way with either typing.
//
// What the C code takes (modCrypt.c):
//  - Digest write(): a string, an ArrayBuffer or a byte view (xsmcGetBufferReadable);
//    close() returns a new ArrayBuffer; reset() starts over, so one instance is reused.
//  - BlockCipher(name, key) and encrypt(data, result): key, data and result must be
//    ArrayBuffers (xsmcToArrayBuffer: a TypedArray throws "not an ArrayBuffer
//    instance"); the first blockSize bytes of data are processed; data and
//    result may be the same buffer. The key is copied into the cipher.
//  - Mode("CBC", cipher, iv, pad): iv must be an ArrayBuffer; encrypt/decrypt take an
//    ArrayBuffer or a byte view and an optional ArrayBuffer result of at least
//    the input's length; no padding unless `pad` is true and `eof` is set.

export type DigestName = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';

export interface CryptDigest {
  write(data: ArrayBuffer | Uint8Array | string): void;
  close(): ArrayBuffer;
  reset(): void;
  readonly blockSize: number;
  readonly outputSize: number;
}

export interface CryptBlockCipher {
  encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
  decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
  readonly keySize: number;
  readonly blockSize: number;
}

export interface CryptMode {
  encrypt(data: ArrayBuffer | Uint8Array, result?: ArrayBuffer): ArrayBuffer;
  decrypt(data: ArrayBuffer | Uint8Array, result?: ArrayBuffer): ArrayBuffer;
  setIV(iv: ArrayBuffer): void;
  eof: boolean;
}

export interface CryptModule {
  Digest: new (name: DigestName) => CryptDigest;
  BlockCipher: new (name: 'AES' | 'DES' | 'TDES', key: ArrayBuffer) => CryptBlockCipher;
  Mode: new (name: 'ECB' | 'CBC' | 'CTR', cipher: CryptBlockCipher, iv?: ArrayBuffer, pad?: boolean) => CryptMode;
}

// The firmware images the Firmware Update object (/5) accepts, judged as they
// stream in: the header first (which kind of image, for which chip, which
// version), then the size against the slot, and at the end the SHA-256 that
// both formats carry in their last 32 bytes over everything before it.
//
//  - ESP32 application images as ESP-IDF builds them (esp_image_header_t,
//    then the first segment's header and esp_app_desc_t; built with the
//    SHA-256 appended, hash_appended = 1).
//  - The host image of xs-lwm2m (Node and the Moddable Linux runtime):
//      0 'XSFW'  4 format (1)  5 name length N  6 version length V  7 0
//      8 body length B (uint32, big-endian)  12 name  12+N version
//      12+N+V body  then SHA-256 of all the bytes before it.

import { constantTimeEqual } from '../../util/bytes';

/** Update Result (/5/0/5) values, Core E.6 (Object 5). */
export const UPDATE_RESULT = Object.freeze({
  INITIAL: 0,
  SUCCESS: 1,
  NOT_ENOUGH_FLASH: 2,
  OUT_OF_RAM: 3,
  CONNECTION_LOST: 4,
  INTEGRITY_FAILURE: 5,
  UNSUPPORTED_PACKAGE: 6,
  INVALID_URI: 7,
  UPDATE_FAILED: 8,
  UNSUPPORTED_PROTOCOL: 9,
  CANCELLED: 10,
} as const);

export const SHA256_LENGTH = 32;

/** What the header says about an image. */
export interface ImageInfo {
  /** The firmware version inside (becomes /3/0/3 once it runs): PkgVersion. */
  version: string;
  /** Its name (PkgName). */
  name: string;
  /** Total bytes, when the header says. */
  size?: number;
}

export interface ImageFormat {
  readonly name: string;
  /** Bytes needed to judge the header (fewer when the whole image is shorter). */
  readonly headerLength: number;
  inspect(head: Uint8Array): { ok: true; info: ImageInfo } | { ok: false; reason: string };
}

/** ESP-IDF chip ids (esp_chip_id_t) of the boards this firmware builds for. */
export const ESP_CHIP_ID = Object.freeze({ esp32: 0, esp32s2: 2, esp32c3: 5, esp32s3: 9 } as const);

const ESP_IMAGE_MAGIC = 0xe9;
const ESP_APP_DESC_MAGIC = 0xabcd5432;
/** esp_image_header_t (24) + esp_image_segment_header_t (8) + esp_app_desc_t (256). */
const ESP_HEADER_LENGTH = 24 + 8 + 256;

function cString(b: Uint8Array, from: number, max: number): string {
  let s = '';
  for (let i = from; i < from + max && i < b.length && b[i] !== 0; i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

/** An ESP-IDF application image for one chip (RAM never holds more than the header). */
export function esp32ImageFormat(chipId: number): ImageFormat {
  return Object.freeze({
    name: 'ESP-IDF application image',
    headerLength: ESP_HEADER_LENGTH,
    inspect(head: Uint8Array) {
      if (head.length < ESP_HEADER_LENGTH) return { ok: false as const, reason: `${head.length} bytes is too short for an ESP-IDF image` };
      const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
      if (head[0] !== ESP_IMAGE_MAGIC) return { ok: false as const, reason: 'not an ESP-IDF image (magic)' };
      const chip = v.getUint16(12, true);
      if (chip !== chipId) return { ok: false as const, reason: `image for chip ${chip}, this is chip ${chipId}` };
      if (head[23] !== 1) return { ok: false as const, reason: 'image without an appended SHA-256 (build with hash_appended)' };
      if (v.getUint32(32, true) !== ESP_APP_DESC_MAGIC)
        return { ok: false as const, reason: 'no application description (esp_app_desc_t)' };
      return { ok: true as const, info: { version: cString(head, 48, 32), name: cString(head, 80, 32) } };
    },
  });
}

const HOST_MAGIC = Object.freeze([0x58, 0x53, 0x46, 0x57]); // 'XSFW'
const HOST_FORMAT = 1;
const HOST_FIXED = 12;
const HOST_MAX_TEXT = 32;

/** The host image (Node, the Moddable Linux runtime). */
export const hostImageFormat: ImageFormat = Object.freeze({
  name: 'xs-lwm2m host image',
  headerLength: HOST_FIXED + 2 * HOST_MAX_TEXT,
  inspect(head: Uint8Array) {
    if (head.length < HOST_FIXED || HOST_MAGIC.some((b, i) => head[i] !== b))
      return { ok: false as const, reason: 'not an xs-lwm2m host image (magic)' };
    if (head[4] !== HOST_FORMAT) return { ok: false as const, reason: `host image format ${head[4]} unknown` };
    const n = head[5]!,
      ver = head[6]!;
    if (n > HOST_MAX_TEXT || ver > HOST_MAX_TEXT || head.length < HOST_FIXED + n + ver)
      return { ok: false as const, reason: 'host image header damaged' };
    const body = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(8, false);
    const name = cString(head, HOST_FIXED, n);
    const version = cString(head, HOST_FIXED + n, ver);
    return { ok: true as const, info: { name, version, size: HOST_FIXED + n + ver + body + SHA256_LENGTH } };
  },
});

/** Builds a host image (tools and tests); `sha256` is the platform's. */
export function makeHostImage(name: string, version: string, body: Uint8Array, sha256: (data: Uint8Array) => Uint8Array): Uint8Array {
  const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
  const n = enc(name).subarray(0, HOST_MAX_TEXT),
    v = enc(version).subarray(0, HOST_MAX_TEXT);
  const total = HOST_FIXED + n.length + v.length + body.length + SHA256_LENGTH;
  const out = new Uint8Array(total);
  out.set(HOST_MAGIC, 0);
  out[4] = HOST_FORMAT;
  out[5] = n.length;
  out[6] = v.length;
  new DataView(out.buffer).setUint32(8, body.length, false);
  out.set(n, HOST_FIXED);
  out.set(v, HOST_FIXED + n.length);
  out.set(body, HOST_FIXED + n.length + v.length);
  out.set(sha256(out.subarray(0, total - SHA256_LENGTH)), total - SHA256_LENGTH);
  return out;
}

/** An incremental SHA-256 (node:crypto, the SDK's Digest, noble in xsnap). */
export interface HashStream {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * Follows an image as it streams: hashes all but the last 32 bytes (held
 * back in a 32-byte window, since the end is not known in advance) and
 * compares them with those last 32 at the end.
 */
export class TrailerCheck {
  private readonly tail = new Uint8Array(SHA256_LENGTH);
  private held = 0;

  constructor(private readonly hash: HashStream) {}

  update(data: Uint8Array): void {
    // Whatever no longer fits in the window of the last 32 bytes is part of the hashed body.
    const total = this.held + data.length;
    if (total <= SHA256_LENGTH) {
      this.tail.set(data, this.held);
      this.held = total;
      return;
    }
    const release = total - SHA256_LENGTH;
    if (release <= this.held) {
      this.hash.update(this.tail.slice(0, release));
      this.tail.copyWithin(0, release, this.held);
      this.held -= release;
    } else {
      this.hash.update(this.tail.slice(0, this.held));
      this.hash.update(data.subarray(0, release - this.held));
      this.held = 0;
    }
    const rest = data.subarray(data.length - (SHA256_LENGTH - this.held));
    this.tail.set(rest, this.held);
    this.held = SHA256_LENGTH;
  }

  /** True when the last 32 bytes are the SHA-256 of everything before them. */
  verify(): boolean {
    if (this.held < SHA256_LENGTH) return false;
    return constantTimeEqual(this.hash.digest(), this.tail);
  }
}

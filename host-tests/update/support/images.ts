// Host images for the update tests: a body of deterministic bytes under the
// xs-lwm2m host-image header, SHA-256 by node:crypto.
import { createHash } from 'node:crypto';
import { makeHostImage } from '../../../firmware/lwm2m/firmware-update/image';

export const sha256 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(d).digest());

/** A body of `bodyLength` bytes (a pattern seeded by the version, so two versions differ everywhere). */
export function testBody(version: string, bodyLength: number): Uint8Array {
  let x = 0x9e3779b9;
  for (const c of version) x = Math.imul(x ^ c.charCodeAt(0), 0x85ebca6b) >>> 0;
  const body = new Uint8Array(bodyLength);
  for (let i = 0; i < bodyLength; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    body[i] = x & 0xff;
  }
  return body;
}

/** A host image named "xs-lwm2m-node" at `version`, `total` bytes long in all (header and trailer included); `seed` varies the body. */
export function testImage(version: string, total: number, name = 'xs-lwm2m-node', seed?: number): Uint8Array {
  const overhead = 12 + name.length + version.length + 32;
  return makeHostImage(name, version, testBody(seed === undefined ? version : `${version}/${seed}`, Math.max(0, total - overhead)), sha256);
}

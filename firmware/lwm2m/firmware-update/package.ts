// What a Firmware Update package arrives as (Core E.6, the object's definition):
// a Package value (empty means reset; in TLV, resource 0's value streams on
// after its header) and a Package URI (coap or coaps, at most 255 bytes, with
// an optional `#sha256=<64 hex>` of the whole file, never sent to the server).
import { parseServerUri, type ServerUri } from '../registration/server-uri';
import { UPDATE_RESULT } from './image';
import { fromHex } from '../../util/hex';

/** Package URI is at most 255 bytes (object definition). */
const MAX_URI = 255;

/** Why a package cannot be had: the Update Result to report, and a reason for the log. */
export type PackageFail = { result: number; reason: string };

export interface PackageUri {
  uri: ServerUri;
  path: string[];
  query: string[];
  digest?: Uint8Array;
}

/** NULL ('\0') or nothing resets the state machine (object definition, State). */
export function isEmptyPackage(b: Uint8Array): boolean {
  return b.length === 0 || (b.length === 1 && b[0] === 0);
}

/** Where the value of resource 0 starts in a TLV (Core §7.4.3), or -1. */
export function tlvValueStart(b: Uint8Array): number {
  if (b.length < 2) return -1;
  const type = b[0]!;
  if ((type & 0xc0) !== 0xc0) return -1; // a resource with a value
  let p = 1;
  const id = type & 0x20 ? (b[p]! << 8) | b[p + 1]! : b[p]!;
  p += type & 0x20 ? 2 : 1;
  if (id !== 0) return -1;
  p += (type >> 3) & 0x03; // the length field (the value runs to the end of the stream)
  return p <= b.length ? p : -1;
}

/** A Package URI: coap:// or coaps:// (5/0/8), a path, an optional `#sha256=<64 hex>` the client checks the image against. */
export function parsePackageUri(text: string): PackageUri | PackageFail {
  if (text.length > MAX_URI) return { result: UPDATE_RESULT.INVALID_URI, reason: 'longer than 255 bytes' };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (!scheme) return { result: UPDATE_RESULT.INVALID_URI, reason: `"${text}" is not a URI` };
  if (scheme !== 'coap' && scheme !== 'coaps')
    return { result: UPDATE_RESULT.UNSUPPORTED_PROTOCOL, reason: `${scheme} is not supported (coap, coaps)` };
  const hashAt = text.indexOf('#');
  const fragment = hashAt >= 0 ? text.slice(hashAt + 1) : '';
  const noFragment = hashAt >= 0 ? text.slice(0, hashAt) : text;
  const q = noFragment.indexOf('?');
  const base = q >= 0 ? noFragment.slice(0, q) : noFragment;
  const m = /^(coaps?:\/\/(?:\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]+)(?::\d{1,5})?)(\/.*)?$/i.exec(base);
  const uri = m ? parseServerUri(m[1]!.replace(/^coaps?/i, (s) => s.toLowerCase())) : undefined;
  if (!m || !uri) return { result: UPDATE_RESULT.INVALID_URI, reason: `"${text}" is not a coap URI` };
  let digest: Uint8Array | undefined;
  if (fragment) {
    const d = /^sha256=([0-9a-fA-F]{64})$/.exec(fragment);
    if (!d) return { result: UPDATE_RESULT.INVALID_URI, reason: 'fragment other than #sha256=<64 hex digits>' };
    digest = fromHex(d[1]!);
  }
  let path: string[];
  try {
    path = (m[2] ?? '')
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return { result: UPDATE_RESULT.INVALID_URI, reason: 'bad percent-encoding' };
  }
  const query =
    q >= 0
      ? noFragment
          .slice(q + 1)
          .split('&')
          .filter((s) => s !== '')
      : [];
  return { uri, path, query, digest };
}

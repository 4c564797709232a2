// The stored form of the notification attributes (Core §5.1.2): a server's
// Write-Attributes hold until it changes them, across restarts too. One
// record: version, then per (server, path) entry the Short Server ID, the
// path's ids, a mask of the attributes present and their values (float64, as
// gt/lt/st may be fractions). An entry costs entrySize() bytes (reporting/attributes.ts).
import type { Path } from '../../model/types';
import { ATTRIBUTE_NAMES, entrySize, type AttributeEntry, type Attributes } from './attributes';

export const ATTRIBUTE_RECORD_VERSION = 1;

const ids = (p: Path): number[] =>
  [p.objectId, p.instanceId, p.resourceId, p.resourceInstanceId].filter((x): x is number => x !== undefined);

export function encodeAttributeRecord(entries: readonly AttributeEntry[]): Uint8Array {
  let size = 1;
  for (const e of entries) size += entrySize(e.path, e.attrs);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b[0] = ATTRIBUTE_RECORD_VERSION;
  let o = 1;
  for (const e of entries) {
    dv.setUint16(o, e.ssid);
    o += 2;
    const path = ids(e.path);
    b[o++] = path.length;
    for (const id of path) {
      dv.setUint16(o, id);
      o += 2;
    }
    let mask = 0;
    ATTRIBUTE_NAMES.forEach((n, i) => {
      if (e.attrs[n] !== undefined) mask |= 1 << i;
    });
    b[o++] = mask;
    for (const n of ATTRIBUTE_NAMES)
      if (e.attrs[n] !== undefined) {
        dv.setFloat64(o, e.attrs[n]!);
        o += 8;
      }
  }
  return b;
}

/** The entries of a record, or undefined when it is damaged or of another version. */
export function decodeAttributeRecord(b: Uint8Array): AttributeEntry[] | undefined {
  if (b.length < 1 || b[0] !== ATTRIBUTE_RECORD_VERSION) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: AttributeEntry[] = [];
  let o = 1;
  while (o < b.length) {
    if (o + 3 > b.length) return undefined;
    const ssid = dv.getUint16(o);
    o += 2;
    const depth = b[o++]!;
    if (depth < 1 || depth > 4 || o + 2 * depth + 1 > b.length) return undefined;
    const p: number[] = [];
    for (let i = 0; i < depth; i++) {
      p.push(dv.getUint16(o));
      o += 2;
    }
    const mask = b[o++]!;
    if (mask === 0 || mask >> ATTRIBUTE_NAMES.length !== 0) return undefined;
    const attrs: Attributes = {};
    for (let i = 0; i < ATTRIBUTE_NAMES.length; i++) {
      if (!(mask & (1 << i))) continue;
      if (o + 8 > b.length) return undefined;
      const v = dv.getFloat64(o);
      o += 8;
      if (!Number.isFinite(v)) return undefined;
      attrs[ATTRIBUTE_NAMES[i]!] = v;
    }
    const path: Path = { objectId: p[0]! };
    if (depth > 1) path.instanceId = p[1]!;
    if (depth > 2) path.resourceId = p[2]!;
    if (depth > 3) path.resourceInstanceId = p[3]!;
    out.push({ ssid, path, attrs });
  }
  return out;
}

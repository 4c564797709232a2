// LwM2M paths: '/o/i/r/ri' text or CoAP Uri-Path segments.
import type { Path } from './types';

/** 65535 is reserved (Core §7.1: MAX_ID), so ids are 0..65534. */
export const MAX_ID = 65534;

function parseId(s: string): number | undefined {
  // Decimal only, no sign, no leading zero (so '/3/00' cannot alias '/3/0' in caches and observations).
  const n = s.length;
  if (n === 0 || n > 5) return undefined;
  if (n > 1 && s.charCodeAt(0) === 48) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return v <= MAX_ID ? v : undefined;
}

/** '/', '/3', '/3/0', '/3/0/1', '/3/0/1/2' or Uri-Path segments ([] is root). Ids decimal, 0..65534
 *  (65535 is reserved), no leading '+', no empty segments; returns undefined if invalid. */
export function parsePath(p: string | string[]): Path | undefined {
  let segs: string[];
  if (typeof p === 'string') {
    if (p.charCodeAt(0) !== 47) return undefined; // must start with '/'
    if (p === '/') return {};
    segs = p.slice(1).split('/');
  } else segs = p;
  if (segs.length > 4) return undefined;
  const ids: number[] = [];
  for (const s of segs) {
    if (typeof s !== 'string') return undefined;
    const id = parseId(s);
    if (id === undefined) return undefined;
    ids.push(id);
  }
  return pathFromIds(ids);
}

export function pathFromIds(ids: readonly number[]): Path {
  const p: Path = {};
  if (ids.length > 0) p.objectId = ids[0];
  if (ids.length > 1) p.instanceId = ids[1];
  if (ids.length > 2) p.resourceId = ids[2];
  if (ids.length > 3) p.resourceInstanceId = ids[3];
  return p;
}

export function pathDepth(p: Path): 0 | 1 | 2 | 3 | 4 {
  if (p.objectId === undefined) return 0;
  if (p.instanceId === undefined) return 1;
  if (p.resourceId === undefined) return 2;
  if (p.resourceInstanceId === undefined) return 3;
  return 4;
}

export function pathIds(p: Path): number[] {
  const d = pathDepth(p);
  const out = [p.objectId!, p.instanceId!, p.resourceId!, p.resourceInstanceId!];
  out.length = d;
  return out;
}

/** '/3/0/1'; root is '/'. */
export function formatPath(p: Path): string {
  const ids = pathIds(p);
  return ids.length === 0 ? '/' : '/' + ids.join('/');
}

/** True when `inner` equals `outer` or lies below it. */
export function pathStartsWith(inner: Path, outer: Path): boolean {
  const o = pathIds(outer),
    i = pathIds(inner);
  if (i.length < o.length) return false;
  for (let k = 0; k < o.length; k++) if (o[k] !== i[k]) return false;
  return true;
}

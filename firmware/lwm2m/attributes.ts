// Notification attributes (Core §5.1.2, Write-Attributes §5.4.4): parsed
// from Uri-Query, stored per server (ssid) and per level (object, instance,
// resource, resource instance), inherited downward, shown by Discover.
import type { Link } from '../formats/index';
import { formatPath, pathDepth } from '../model/path';
import type { DataType, Path } from '../model/types';
import { SRV, OBJ } from './ids';
import { asNumber, type ObjectTree } from './object-tree';

export interface Attributes {
  pmin?: number; pmax?: number; gt?: number; lt?: number; st?: number; epmin?: number; epmax?: number;
}
export type AttributeName = keyof Attributes;
/** Order in which Discover lists them. */
export const ATTRIBUTE_NAMES: readonly AttributeName[] = Object.freeze(['pmin', 'pmax', 'epmin', 'epmax', 'gt', 'lt', 'st']);
const PERIODS: ReadonlySet<string> = new Set(['pmin', 'pmax', 'epmin', 'epmax']);
const CHANGE: ReadonlySet<string> = new Set(['gt', 'lt', 'st']);

export type AttributeUpdate = { set: Attributes; remove: AttributeName[] };
export type AttrResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const NUMBER_RE = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Parse the Uri-Query of a Write-Attributes request. `pmin` with no value removes it. */
export function parseAttributeQuery(query: readonly string[]): AttrResult<AttributeUpdate> {
  const set: Attributes = {};
  const remove: AttributeName[] = [];
  for (const q of query) {
    const eq = q.indexOf('=');
    const name = eq < 0 ? q : q.slice(0, eq);
    if (!(ATTRIBUTE_NAMES as readonly string[]).includes(name)) return { ok: false, reason: `unknown or read-only attribute ${name}` };
    const n = name as AttributeName;
    if (n in set || remove.includes(n)) return { ok: false, reason: `attribute ${n} given twice` };
    if (eq < 0) { remove.push(n); continue; }
    const text = q.slice(eq + 1);
    if (!NUMBER_RE.test(text)) return { ok: false, reason: `attribute ${n} is not a number` };
    const v = Number(text);
    if (!Number.isFinite(v)) return { ok: false, reason: `attribute ${n} is not a number` };
    if (PERIODS.has(n) && (v < 0 || !Number.isInteger(v))) return { ok: false, reason: `attribute ${n} must be a non-negative integer` };
    if (n === 'st' && v < 0) return { ok: false, reason: 'st must not be negative' };
    set[n] = v;
  }
  return { ok: true, value: { set, remove } };
}

/** Combination rules (Core §5.1.2): pmin ≤ pmax, epmin ≤ epmax, lt < gt and lt + 2·st < gt. */
export function checkAttributes(a: Attributes): string | undefined {
  if (a.pmin !== undefined && a.pmax !== undefined && a.pmax > 0 && a.pmin > a.pmax) return 'pmin greater than pmax';
  if (a.epmin !== undefined && a.epmax !== undefined && a.epmin > a.epmax) return 'epmin greater than epmax';
  if (a.lt !== undefined && a.gt !== undefined) {
    if (a.lt >= a.gt) return 'lt not below gt';
    if (a.lt + 2 * (a.st ?? 0) >= a.gt) return 'lt + 2·st not below gt';
  }
  if (a.st !== undefined && a.st < 0) return 'st negative';
  return undefined;
}

export function isNumericType(t: DataType | undefined): boolean {
  return t === 'integer' || t === 'unsigned' || t === 'float' || t === 'time';
}

/** Attributes attached by each server to each level. Bound: `capacity` (path, ssid) entries. */
export class AttributeStore {
  private readonly byKey = new Map<string, Attributes>();
  /** Write-Attributes refused because the store was full. */
  full = 0;

  constructor(readonly capacity = 64) {}

  get size(): number { return this.byKey.size; }

  /** Attributes attached exactly at `path` by `ssid`. */
  at(ssid: number, path: Path): Attributes | undefined {
    return this.byKey.get(key(ssid, path));
  }

  /**
   * Apply a Write-Attributes update at `path`. `resourceType` is the data type
   * of the resource when `path` names one (gt/lt/st need a numeric resource).
   */
  apply(ssid: number, path: Path, u: AttributeUpdate, resourceType: DataType | undefined): AttrResult<Attributes> | { ok: false; full: true; reason: string } {
    const depth = pathDepth(path);
    for (const n of Object.keys(u.set)) {
      if (CHANGE.has(n) && (depth < 3 || !isNumericType(resourceType)))
        return { ok: false, reason: `${n} needs a numeric resource` };
    }
    const k = key(ssid, path);
    const merged: Attributes = { ...(this.byKey.get(k) ?? {}), ...u.set };
    for (const n of u.remove) delete merged[n];
    const bad = checkAttributes(merged);
    if (bad) return { ok: false, reason: bad };
    if (Object.keys(merged).length === 0) { this.byKey.delete(k); return { ok: true, value: merged }; }
    if (!this.byKey.has(k) && this.byKey.size >= this.capacity) { this.full++; return { ok: false, full: true, reason: 'attribute store full' }; }
    this.byKey.set(k, merged);
    return { ok: true, value: merged };
  }

  /**
   * Effective attributes at `path` for `ssid`: object → instance → resource →
   * resource instance, deeper levels override; pmin/pmax fall back to the
   * Server object's Default Minimum/Maximum Period (/1/x/2, /1/x/3).
   */
  effective(ssid: number, path: Path, tree: ObjectTree): Attributes {
    const out: Attributes = {};
    const levels: Path[] = [];
    if (path.objectId !== undefined) levels.push({ objectId: path.objectId });
    if (path.instanceId !== undefined) levels.push({ objectId: path.objectId, instanceId: path.instanceId });
    if (path.resourceId !== undefined) levels.push({ objectId: path.objectId, instanceId: path.instanceId, resourceId: path.resourceId });
    if (path.resourceInstanceId !== undefined) levels.push(path);
    for (const l of levels) Object.assign(out, this.byKey.get(key(ssid, l)) ?? {});
    if (out.pmin === undefined || out.pmax === undefined) {
      const d = serverDefaults(tree, ssid);
      if (out.pmin === undefined && d.pmin !== undefined) out.pmin = d.pmin;
      if (out.pmax === undefined && d.pmax !== undefined) out.pmax = d.pmax;
    }
    return out;
  }

  /** Forget what a server attached (it de-registered or its account went away). */
  dropServer(ssid: number): void {
    const prefix = `${ssid}|`;
    for (const k of [...this.byKey.keys()]) if (k.startsWith(prefix)) this.byKey.delete(k);
  }

  /** Forget attributes at and below a deleted instance. */
  dropInstance(objectId: number, instanceId: number): void {
    const mid = `|/${objectId}/${instanceId}`;
    for (const k of [...this.byKey.keys()]) {
      const i = k.indexOf('|');
      const p = k.slice(i);
      if (p === mid || p.startsWith(mid + '/')) this.byKey.delete(k);
    }
  }
}

function key(ssid: number, path: Path): string { return `${ssid}|${formatPath(path)}`; }

/** Default Minimum/Maximum Period of the server with this Short Server ID. */
export function serverDefaults(tree: ObjectTree, ssid: number): { pmin?: number; pmax?: number } {
  for (const iid of tree.instanceIds(OBJ.SERVER)) {
    if (asNumber(tree.value(OBJ.SERVER, iid, SRV.SHORT_SERVER_ID)) !== ssid) continue;
    const pmin = asNumber(tree.value(OBJ.SERVER, iid, SRV.DEFAULT_MIN_PERIOD));
    const pmax = asNumber(tree.value(OBJ.SERVER, iid, SRV.DEFAULT_MAX_PERIOD));
    return { ...(pmin !== undefined ? { pmin } : {}), ...(pmax !== undefined ? { pmax } : {}) };
  }
  return {};
}

/** Link attributes for Discover: those attached exactly at this level. */
export function attributeLinkAttrs(a: Attributes | undefined): Link['attrs'] {
  const out: Link['attrs'] = [];
  if (!a) return out;
  for (const n of ATTRIBUTE_NAMES) if (a[n] !== undefined) out.push([n, String(a[n])]);
  return out;
}

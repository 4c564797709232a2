// Notification attributes (Core §5.1.2, Write-Attributes §5.4.4): parsed
// from Uri-Query, stored per server (ssid) and per level (object, instance,
// resource, resource instance), inherited downward, shown by Discover.
import type { Link } from '../../formats/index';
import { formatPath, pathDepth } from '../../model/path';
import type { DataType, Path } from '../../model/types';
import { SRV, OBJ } from '../engine/ids';
import { asNumber, type ObjectTree } from '../objects/object-tree';

export interface Attributes {
  pmin?: number;
  pmax?: number;
  gt?: number;
  lt?: number;
  st?: number;
  epmin?: number;
  epmax?: number;
}
export type AttributeName = keyof Attributes;
/** Order in which Discover lists them. */
export const ATTRIBUTE_NAMES: readonly AttributeName[] = Object.freeze(['pmin', 'pmax', 'epmin', 'epmax', 'gt', 'lt', 'st']);
const PERIODS: ReadonlySet<string> = new Set(['pmin', 'pmax', 'epmin', 'epmax']);
const CHANGE: ReadonlySet<string> = new Set(['gt', 'lt', 'st']);

export type AttributeUpdate = { set: Attributes; remove: AttributeName[] };
/** What one server attached at one path. */
export interface AttributeEntry {
  ssid: number;
  path: Path;
  attrs: Attributes;
}

/** Bytes an entry takes in its stored form (reporting/attribute-records.ts): ssid, depth, ids, mask, float64 values. */
export function entrySize(path: Path, attrs: Attributes): number {
  return 2 + 1 + 2 * pathDepth(path) + 1 + 8 * Object.keys(attrs).length;
}
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
    if (eq < 0) {
      remove.push(n);
      continue;
    }
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

/**
 * Attributes attached by each server to each level. Bound: `capacity`
 * (path, ssid) entries, and `maxBytes` of their stored form (reporting/attribute-records.ts).
 */
export class AttributeStore {
  private readonly byKey = new Map<string, AttributeEntry>();
  private bytes = 0;
  /** Write-Attributes refused because the store was full. */
  full = 0;
  /** Called after every change (to store them: reporting/attribute-keeping.ts). */
  onChange: (() => void) | null = null;

  constructor(
    readonly capacity = 64,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Attributes attached exactly at `path` by `ssid`. */
  at(ssid: number, path: Path): Attributes | undefined {
    return this.byKey.get(key(ssid, path))?.attrs;
  }

  /**
   * Apply a Write-Attributes update at `path`. `resourceType` is the data type
   * of the resource when `path` names one (gt/lt/st need a numeric resource).
   */
  apply(
    ssid: number,
    path: Path,
    u: AttributeUpdate,
    resourceType: DataType | undefined,
  ): AttrResult<Attributes> | { ok: false; full: true; reason: string } {
    const depth = pathDepth(path);
    for (const n of Object.keys(u.set)) {
      if (CHANGE.has(n) && (depth < 3 || !isNumericType(resourceType))) return { ok: false, reason: `${n} needs a numeric resource` };
    }
    const k = key(ssid, path);
    const old = this.byKey.get(k);
    const merged: Attributes = { ...(old?.attrs ?? {}), ...u.set };
    for (const n of u.remove) delete merged[n];
    const bad = checkAttributes(merged);
    if (bad) return { ok: false, reason: bad };
    if (Object.keys(merged).length === 0) {
      if (old) {
        this.remove(k, old);
        this.changed();
      }
      return { ok: true, value: merged };
    }
    const grow = entrySize(path, merged) - (old ? entrySize(old.path, old.attrs) : 0);
    if ((!old && this.byKey.size >= this.capacity) || this.bytes + grow > this.maxBytes) {
      this.full++;
      return { ok: false, full: true, reason: 'attribute store full' };
    }
    this.byKey.set(k, { ssid, path: { ...path }, attrs: merged });
    this.bytes += grow;
    this.changed();
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
    for (const l of levels) Object.assign(out, this.byKey.get(key(ssid, l))?.attrs ?? {});
    if (out.pmin === undefined || out.pmax === undefined) {
      const d = serverDefaults(tree, ssid);
      if (out.pmin === undefined && d.pmin !== undefined) out.pmin = d.pmin;
      if (out.pmax === undefined && d.pmax !== undefined) out.pmax = d.pmax;
    }
    return out;
  }

  /** Every entry, for storing them. */
  entries(): AttributeEntry[] {
    return [...this.byKey.values()];
  }

  /** Replaces what is held with stored entries (as many as the bounds allow); no onChange. */
  restore(entries: readonly AttributeEntry[]): number {
    this.byKey.clear();
    this.bytes = 0;
    for (const e of entries) {
      const size = entrySize(e.path, e.attrs);
      if (this.byKey.size >= this.capacity || this.bytes + size > this.maxBytes || checkAttributes(e.attrs)) continue;
      this.byKey.set(key(e.ssid, e.path), { ssid: e.ssid, path: { ...e.path }, attrs: { ...e.attrs } });
      this.bytes += size;
    }
    return this.byKey.size;
  }

  /** Keeps only the attributes of these servers (the others' accounts are gone). */
  retainServers(ssids: ReadonlySet<number>): void {
    let dropped = false;
    for (const [k, e] of [...this.byKey])
      if (!ssids.has(e.ssid)) {
        this.remove(k, e);
        dropped = true;
      }
    if (dropped) this.changed();
  }

  /** Forget attributes at and below a deleted instance. */
  dropInstance(objectId: number, instanceId: number): void {
    let dropped = false;
    for (const [k, e] of [...this.byKey]) {
      if (e.path.objectId === objectId && e.path.instanceId === instanceId) {
        this.remove(k, e);
        dropped = true;
      }
    }
    if (dropped) this.changed();
  }

  private remove(k: string, e: AttributeEntry): void {
    this.byKey.delete(k);
    this.bytes -= entrySize(e.path, e.attrs);
  }

  private changed(): void {
    try {
      this.onChange?.();
    } catch {
      /* the keeper logs its own failures */
    }
  }
}

function key(ssid: number, path: Path): string {
  return `${ssid}|${formatPath(path)}`;
}

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

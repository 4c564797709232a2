// Turning decoded payload records into tree changes, and back.
import type { DecodedPayload, ResourceRecord } from '../../formats/index';
import type { Path, Value } from '../../model/types';
import { isMultiple, type ObjectTree, type ResourceValue } from './object-tree';

export interface ApplyLimits {
  /** Bound on instances per object (RAM on a 320 KB device). */
  maxInstancesPerObject: number;
  /** Bound on resource instances per multiple resource. */
  maxResourceInstances: number;
}

export type ApplyResult = { ok: true } | { ok: false; reason: string };

/**
 * Write decoded records into `tree`. Instances named by the payload are
 * created when missing; each resource named replaces that resource as a
 * whole (a multiple resource gets exactly the instances sent); resources not
 * named are kept (DM Write "replace" clears the writable ones itself first).
 */
export function applyDecoded(tree: ObjectTree, decoded: DecodedPayload, limits: ApplyLimits): ApplyResult {
  // Check bounds before touching anything, so a refused write changes nothing.
  const newPerObject = new Map<number, Set<number>>();
  const note = (oid: number, iid: number) => {
    if (tree.getInstance(oid, iid)) return;
    let s = newPerObject.get(oid);
    if (!s) {
      s = new Set();
      newPerObject.set(oid, s);
    }
    s.add(iid);
  };
  for (const i of decoded.instances) note(i.objectId, i.instanceId);
  for (const r of decoded.records) note(r.path.objectId!, r.path.instanceId!);
  for (const [oid, s] of newPerObject) {
    if (tree.instanceIds(oid).length + s.size > limits.maxInstancesPerObject) return { ok: false, reason: `too many instances of /${oid}` };
  }

  const multiples = new Map<string, Map<number, Value>>();
  for (const m of decoded.multipleResources) multiples.set(key(m.objectId, m.instanceId, m.resourceId), new Map());
  for (const r of decoded.records) {
    if (r.path.resourceInstanceId === undefined) continue;
    const k = key(r.path.objectId!, r.path.instanceId!, r.path.resourceId!);
    let m = multiples.get(k);
    if (!m) {
      m = new Map();
      multiples.set(k, m);
    }
    if (m.size >= limits.maxResourceInstances) return { ok: false, reason: `too many instances of /${k}` };
    m.set(r.path.resourceInstanceId, r.value);
  }

  for (const i of decoded.instances) tree.ensureInstance(i.objectId, i.instanceId);
  for (const r of decoded.records) {
    if (r.path.resourceInstanceId !== undefined) continue;
    tree.set(r.path.objectId!, r.path.instanceId!, r.path.resourceId!, r.value);
  }
  for (const [k, m] of multiples) {
    const [oid, iid, rid] = k.split('/').map(Number);
    tree.set(oid, iid, rid, m);
  }
  return { ok: true };
}

function key(o: number, i: number, r: number): string {
  return `${o}/${i}/${r}`;
}

/** Records for everything under `base` (object, instance or resource level). */
export function collectRecords(tree: ObjectTree, base: Path, include?: (oid: number, rid: number) => boolean): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const oids = base.objectId !== undefined ? [base.objectId] : [...tree.objects.keys()].sort((a, b) => a - b);
  for (const oid of oids) {
    const iids = base.instanceId !== undefined ? [base.instanceId] : tree.instanceIds(oid);
    for (const iid of iids) {
      const inst = tree.getInstance(oid, iid);
      if (!inst) continue;
      const rids = base.resourceId !== undefined ? [base.resourceId] : [...inst.keys()].sort((a, b) => a - b);
      for (const rid of rids) {
        if (include && !include(oid, rid)) continue;
        const v = inst.get(rid);
        if (v === undefined) continue;
        if (isMultiple(v)) {
          const riids = base.resourceInstanceId !== undefined ? [base.resourceInstanceId] : [...v.keys()].sort((a, b) => a - b);
          for (const riid of riids) {
            const x = v.get(riid);
            if (x !== undefined)
              out.push({ path: { objectId: oid, instanceId: iid, resourceId: rid, resourceInstanceId: riid }, value: x });
          }
        } else {
          out.push({ path: { objectId: oid, instanceId: iid, resourceId: rid }, value: v });
        }
      }
    }
  }
  return out;
}

/**
 * Resource id → value of `records`, a multiple resource as the Map of its instances: what a handler is
 * given on a Write or a Create. `current(rid)`, when given, is what a multiple resource holds now; the
 * instances the records leave out are kept from it (a Write that merges).
 */
export function valuesByResource(
  records: ReadonlyArray<{ path: Path; value: Value }>,
  current?: (resourceId: number) => ResourceValue | undefined,
): Map<number, ResourceValue> {
  const out = new Map<number, ResourceValue>();
  for (const r of records) {
    const rid = r.path.resourceId!;
    if (r.path.resourceInstanceId === undefined) {
      out.set(rid, r.value);
      continue;
    }
    let m = out.get(rid);
    if (!isMultiple(m)) {
      const cur = current?.(rid);
      m = isMultiple(cur) ? new Map<number, Value>(cur) : new Map<number, Value>();
      out.set(rid, m);
    }
    m.set(r.path.resourceInstanceId, r.value);
  }
  return out;
}

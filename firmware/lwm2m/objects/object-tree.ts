// The client's instance data: Object → Instance → Resource → (Resource Instance).
// Plain maps so a whole configuration can be copied (bootstrap working copy,
// rollback on 4.06) and serialised for the flash store.
import type { Value } from '../../model/types';

/** A single-instance resource holds a Value; a multiple resource a Map riid → Value. */
export type ResourceValue = Value | Map<number, Value>;
export type InstanceData = Map<number, ResourceValue>;

export function isMultiple(v: ResourceValue | undefined): v is Map<number, Value> {
  return v instanceof Map;
}

export class ObjectTree {
  // Bound: objects are those the client implements; instances are bounded by
  // the caller (MAX_INSTANCES_PER_OBJECT in the bootstrap/DM handlers).
  readonly objects = new Map<number, Map<number, InstanceData>>();

  instances(objectId: number): Map<number, InstanceData> | undefined {
    return this.objects.get(objectId);
  }

  instanceIds(objectId: number): number[] {
    const m = this.objects.get(objectId);
    return m ? [...m.keys()].sort((a, b) => a - b) : [];
  }

  getInstance(objectId: number, instanceId: number): InstanceData | undefined {
    return this.objects.get(objectId)?.get(instanceId);
  }

  /** Get, creating the instance (and the object's map) when missing. */
  ensureInstance(objectId: number, instanceId: number): InstanceData {
    let obj = this.objects.get(objectId);
    if (!obj) {
      obj = new Map();
      this.objects.set(objectId, obj);
    }
    let inst = obj.get(instanceId);
    if (!inst) {
      inst = new Map();
      obj.set(instanceId, inst);
    }
    return inst;
  }

  deleteInstance(objectId: number, instanceId: number): boolean {
    return this.objects.get(objectId)?.delete(instanceId) ?? false;
  }

  get(objectId: number, instanceId: number, resourceId: number): ResourceValue | undefined {
    return this.objects.get(objectId)?.get(instanceId)?.get(resourceId);
  }

  /** The single value of a resource (undefined when absent or multiple). */
  value(objectId: number, instanceId: number, resourceId: number): Value | undefined {
    const v = this.get(objectId, instanceId, resourceId);
    return isMultiple(v) ? undefined : v;
  }

  set(objectId: number, instanceId: number, resourceId: number, v: ResourceValue): void {
    this.ensureInstance(objectId, instanceId).set(resourceId, v);
  }

  clone(): ObjectTree {
    const t = new ObjectTree();
    for (const [oid, insts] of this.objects) {
      const o = new Map<number, InstanceData>();
      for (const [iid, res] of insts) o.set(iid, cloneInstance(res));
      t.objects.set(oid, o);
    }
    return t;
  }
}

export function cloneInstance(res: InstanceData): InstanceData {
  const r: InstanceData = new Map();
  for (const [rid, v] of res) r.set(rid, isMultiple(v) ? new Map(v) : cloneValue(v));
  return r;
}

function cloneValue(v: Value): Value {
  if (v instanceof Uint8Array) return v.slice();
  if (v !== null && typeof v === 'object') return { objectId: v.objectId, instanceId: v.instanceId };
  return v;
}

/** Read an integer-typed value as a JS number (bigint beyond 2^53 is clamped by Number()). */
export function asNumber(v: Value | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

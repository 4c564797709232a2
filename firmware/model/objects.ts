// Object definitions, built once from the generated compact table when the
// module loads: on the device that is at build time (preload), so the
// definitions live in flash, frozen, and cost no RAM.
import type { ObjectDef, ObjectRow, ResourceDef } from './types';
import { OBJECT_ROWS } from './objects.generated';

// The table's row shapes (ObjectRow, ResourceRow) are in types.ts, where the generated table takes them from.
export type { ObjectRow, ResourceRow } from './types';

/** Definitions from a compact table: the built-in one, or a project's own (build/gen-objects.ts --out). */
export function objectDefs(table: readonly ObjectRow[]): Map<number, ObjectDef> {
  const m = new Map<number, ObjectDef>();
  for (const [id, name, version, lwm2mVersion, urn, multiple, mandatory, rows] of table) {
    const resources = new Map<number, ResourceDef>();
    for (const [rid, rname, operations, rmult, rmand, type, range, units] of rows) {
      const r: ResourceDef = { id: rid, name: rname, operations, multiple: rmult === 1, mandatory: rmand === 1, type };
      if (range) r.rangeEnumeration = range;
      if (units) r.units = units;
      resources.set(rid, Object.freeze(r));
    }
    m.set(id, Object.freeze({ id, name, version, lwm2mVersion, urn, multiple: multiple === 1, mandatory: mandatory === 1, resources }));
  }
  return m;
}

// Bound: one entry per row of the generated table (fixed at build time).
const DEFS: ReadonlyMap<number, ObjectDef> = objectDefs(OBJECT_ROWS);

export function getObjectDef(objectId: number): ObjectDef | undefined {
  return DEFS.get(objectId);
}

export function getResourceDef(objectId: number, resourceId: number): ResourceDef | undefined {
  return getObjectDef(objectId)?.resources.get(resourceId);
}

export function registeredObjectIds(): number[] {
  return [...DEFS.keys()].sort((a, b) => a - b);
}

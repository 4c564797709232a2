// Object definitions the host tools know beyond the built-in table: the
// DDF files of a folder (`--models <dir>`, as Leshan's `-m`), parsed with the
// generator's DDF reader, so a vendor's object shows its names, types and
// units in the prompt and the console and its values are typed on the wire.
import { readFileSync } from 'node:fs';
import { ddfPaths, parseDdf, type DdfObject } from '../build/gen-objects';
import { getObjectDef, objectDefs, type ObjectRow } from '../firmware/model/objects';
import type { DataType, ObjectDef, Operations } from '../firmware/model/types';

/** Every DDF under `paths` (files or folders) → definitions by object id; throws naming the file that is not a DDF. */
export function loadModels(paths: readonly string[]): Map<number, ObjectDef> {
  const rows: ObjectRow[] = [];
  for (const file of ddfPaths(paths)) {
    let o: DdfObject;
    try { o = parseDdf(readFileSync(file, 'utf8')); } catch (e) { throw new Error(`${file}: ${(e as Error).message}`); }
    rows.push([o.id, o.name, o.version, o.lwm2mVersion, o.urn, o.multiple ? 1 : 0, o.mandatory ? 1 : 0,
      o.resources.map((r) => [r.id, r.name, r.operations as Operations, r.multiple ? 1 : 0, r.mandatory ? 1 : 0, r.type as DataType,
        r.rangeEnumeration || undefined, r.units || undefined])]);
  }
  return objectDefs(rows);
}

/** The type resolver of the content-format codecs over `models` first, then the built-in definitions. */
export function modelResolver(models: ReadonlyMap<number, ObjectDef> | undefined) {
  return (objectId: number, resourceId: number): { type: DataType; multiple: boolean } | undefined => {
    const r = (models?.get(objectId) ?? getObjectDef(objectId))?.resources.get(resourceId);
    return r ? { type: r.type, multiple: r.multiple } : undefined;
  };
}

/** The definition of an object: `models` first, then the built-in table. */
export function modelDef(models: ReadonlyMap<number, ObjectDef> | undefined, objectId: number): ObjectDef | undefined {
  return models?.get(objectId) ?? getObjectDef(objectId);
}

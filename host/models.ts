// Object definitions the host tools know beyond the built-in table: the DDF
// files a user names (`--models <dir>`, as Leshan's `-m`), parsed with the
// generator's DDF reader. The tools of one process (prompt, web console,
// Bootstrap-Server checks, the LwM2M Server's codecs) look definitions up
// here, so a vendor's object shows its names, types and units everywhere and
// its values are typed on the wire.
import { readFileSync } from 'node:fs';
import { ddfPaths, parseDdf, type DdfObject } from '../build/gen-objects';
import { getObjectDef, objectDefs, registeredObjectIds, type ObjectRow } from '../firmware/model/objects';
import type { DataType, ObjectDef, Operations, ResourceDef } from '../firmware/model/types';
import { typeResolver, type TypeResolver } from '../firmware/formats';

/** Every DDF under `paths` (files or folders) → definitions by object id; throws naming the file that is not a DDF. */
export function loadModels(paths: readonly string[]): Map<number, ObjectDef> {
  const rows: ObjectRow[] = [];
  for (const file of ddfPaths(paths)) {
    let o: DdfObject;
    try {
      o = parseDdf(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    rows.push([
      o.id,
      o.name,
      o.version,
      o.lwm2mVersion,
      o.urn,
      o.multiple ? 1 : 0,
      o.mandatory ? 1 : 0,
      o.resources.map((r) => [
        r.id,
        r.name,
        r.operations as Operations,
        r.multiple ? 1 : 0,
        r.mandatory ? 1 : 0,
        r.type as DataType,
        r.rangeEnumeration || undefined,
        r.units || undefined,
      ]),
    ]);
  }
  return objectDefs(rows);
}

/** The definitions this process was started with (--models); empty until useModels. */
let extra: ReadonlyMap<number, ObjectDef> = new Map();

/** The host tools of this process know these definitions too (a vendor's object replaces nothing built in). */
export function useModels(models: ReadonlyMap<number, ObjectDef>): void {
  extra = models;
}

/** An object's definition: the process's extra models first, then the built-in table. */
export function hostObjectDef(objectId: number): ObjectDef | undefined {
  return extra.get(objectId) ?? getObjectDef(objectId);
}

export function hostResourceDef(objectId: number, resourceId: number): ResourceDef | undefined {
  return hostObjectDef(objectId)?.resources.get(resourceId);
}

/** Every object id with a definition, built in or extra, sorted. */
export function hostObjectIds(): number[] {
  return [...new Set([...registeredObjectIds(), ...extra.keys()])].sort((a, b) => a - b);
}

/** The codecs' type resolver over `models` (default: the process's), then the built-in definitions. */
export function modelResolver(models?: ReadonlyMap<number, ObjectDef>): TypeResolver {
  return typeResolver((objectId) => (models ?? extra).get(objectId) ?? getObjectDef(objectId));
}

/** The resolver of the process's definitions, for code that types values once (the Bootstrap-Server). */
export const hostResolveType = modelResolver();

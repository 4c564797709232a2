// LwM2M data-model types (Core spec §7.3 resource model, Appendix C data types).

export type DataType = 'string' | 'integer' | 'unsigned' | 'float' | 'boolean' | 'opaque' | 'time' | 'objlnk' | 'corelnk' | 'none';
export type Operations = 'R' | 'W' | 'RW' | 'E' | '';

export interface ResourceDef {
  id: number;
  name: string;
  operations: Operations;
  multiple: boolean;
  mandatory: boolean;
  type: DataType;
  rangeEnumeration?: string;
  units?: string;
}

export interface ObjectDef {
  id: number;
  name: string;
  /** Object Version: '1.0', '1.1', … */
  version: string;
  lwm2mVersion: string;
  urn: string;
  multiple: boolean;
  mandatory: boolean;
  resources: ReadonlyMap<number, ResourceDef>;
}

/** Object link value: 65535:65535 is the "null" link (Core Appendix C). */
export interface Objlnk {
  objectId: number;
  instanceId: number;
}

/** Integer/Unsigned/Time: number when Number.isSafeInteger, else bigint (int64 / uint64 range).
 *  Float: number. Opaque: Uint8Array. String/Corelnk: string. None: null. */
export type Value = number | bigint | string | boolean | Uint8Array | Objlnk | null;

/** A (possibly partial) LwM2M path; a deeper id is only set when all shallower ones are. */
export interface Path {
  objectId?: number;
  instanceId?: number;
  resourceId?: number;
  resourceInstanceId?: number;
}

// The compact table build/gen-objects.ts generates from DDF files (model/objects.generated.ts, or a project's own):
/** [id, name, operations, multiple 0|1, mandatory 0|1, type, rangeEnumeration?, units?] */
export type ResourceRow = [number, string, Operations, 0 | 1, 0 | 1, DataType, string?, string?];
/** [id, name, objectVersion, lwm2mVersion, urn, multiple 0|1, mandatory 0|1, resources] */
export type ObjectRow = [number, string, string, string, string, 0 | 1, 0 | 1, ResourceRow[]];

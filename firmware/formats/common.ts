// Helpers shared by the format codecs: path containment, record bookkeeping, type lookup.
import type { DataType, Path, Value } from '../model/types';
import type { DecodedPayload, FormatResult, ResourceRecord, TypeResolver } from './types';

/** True when the full path (o,i,r[,ri]) lies at or below base. */
export function underBase(base: Path, o: number, i: number | undefined, r: number | undefined, ri: number | undefined): boolean {
  if (base.objectId !== undefined && base.objectId !== o) return false;
  if (base.instanceId !== undefined && base.instanceId !== i) return false;
  if (base.resourceId !== undefined && base.resourceId !== r) return false;
  if (base.resourceInstanceId !== undefined && base.resourceInstanceId !== ri) return false;
  return true;
}

/** Collects records plus the instance / multiple-resource sets without duplicates. */
export class PayloadBuilder {
  readonly out: DecodedPayload = { records: [], instances: [], multipleResources: [] };
  private readonly seenInst = new Set<number>();
  private readonly seenMulti = new Set<string>();

  instance(objectId: number, instanceId: number): void {
    const k = objectId * 65536 + instanceId;
    if (this.seenInst.has(k)) return;
    this.seenInst.add(k);
    this.out.instances.push({ objectId, instanceId });
  }

  multiple(objectId: number, instanceId: number, resourceId: number): void {
    this.instance(objectId, instanceId);
    const k = `${objectId}/${instanceId}/${resourceId}`;
    if (this.seenMulti.has(k)) return;
    this.seenMulti.add(k);
    this.out.multipleResources.push({ objectId, instanceId, resourceId });
  }

  record(r: ResourceRecord): void {
    const p = r.path;
    if (p.resourceInstanceId !== undefined) this.multiple(p.objectId!, p.instanceId!, p.resourceId!);
    else this.instance(p.objectId!, p.instanceId!);
    this.out.records.push(r);
  }
}

export function makePath(o: number, i: number, r: number, ri?: number): Path {
  return ri === undefined
    ? { objectId: o, instanceId: i, resourceId: r }
    : { objectId: o, instanceId: i, resourceId: r, resourceInstanceId: ri };
}

/** The decoded payload of a single-value format (text, opaque, plain CBOR): one record at `base`. */
export function singleValuePayload(base: Path, value: Value, unknown: boolean): FormatResult<DecodedPayload> {
  const b = new PayloadBuilder();
  const rec: ResourceRecord = { path: makePath(base.objectId!, base.instanceId!, base.resourceId!, base.resourceInstanceId), value };
  if (unknown) rec.unknown = true;
  b.record(rec);
  return { ok: true, value: b.out };
}

/** The type of record `r` of resource `o`/`rid`: the definition it carries (a Read's), else the resolver's; none when unknown. */
export function recordDef(
  r: ResourceRecord,
  resolve: TypeResolver,
  o: number,
  rid: number,
): { type: DataType; multiple: boolean } | undefined {
  if (r.unknown) return undefined;
  return r.def ?? safeResolve(resolve, o, rid);
}

/** Resolve, tolerating resolvers that throw (errors are values at this edge). */
export function safeResolve(resolve: TypeResolver, o: number, r: number): { type: DataType; multiple: boolean } | undefined {
  try {
    return resolve(o, r);
  } catch {
    return undefined;
  }
}

// Read (Core §5.4.1) and what Observe, Read-Composite and Send build on: the
// records a server may read at a path (Access Control, readable resources,
// the Device object's live values), and their encoding in the format asked
// for (Accept), or the default for the path (text/opaque for one value, TLV).
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code } from '../coap/message';
import { ContentFormat, encodePayload, isSupportedFormat, type ResourceRecord } from '../formats/index';
import { getObjectDef } from '../model/objects';
import { formatPath } from '../model/path';
import type { Path } from '../model/types';
import { ACL } from './access-control';
import { collectRecords } from './apply';
import { denied, fail, visibleInstances, type DmScope } from './dm-scope';
import { OBJ } from './ids';
import { isMultiple } from './object-tree';
import type { EncodeResult, ReadResult } from './reporting';
import { resolveType } from './resolver';

/** Formats a composite operation answers in (Transport §6.4.6). */
export const COMPOSITE_FORMATS: ReadonlySet<number> = new Set([ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR]);

export function read(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const got = readRecords(scope, path, ssid);
  if (!got.ok) return fail(scope, got.code, got.reason, req);
  const enc = encodeRecords(scope, path, got.records, req.accept, ssid);
  return enc.ok ? enc.spec : fail(scope, enc.code, enc.reason, req);
}

/** Records readable at `path` by `ssid` (any server when undefined), or why not. */
export function readRecords(scope: DmScope, path: Path, ssid?: number): ReadResult {
  const { ctx } = scope;
  const tree = ctx.tree();
  if (path.objectId === undefined) {
    // Root (Read-Composite "/"): every readable object, never Security.
    const records: ResourceRecord[] = [];
    for (const oid of [...ctx.supportedObjects].sort((a, b) => a - b)) {
      if (oid === OBJ.SECURITY) continue;
      const got = readRecords(scope, { objectId: oid }, ssid);
      if (got.ok) records.push(...got.records);
    }
    return { ok: true, records };
  }
  if (path.objectId === OBJ.SECURITY) return { ok: false, code: Code.UNAUTHORIZED, reason: 'Security object is not accessible' };
  const def = getObjectDef(path.objectId);
  if (!def || !ctx.supportedObjects.has(path.objectId)) return { ok: false, code: Code.NOT_FOUND, reason: 'object not supported' };
  if (path.instanceId !== undefined && !tree.getInstance(path.objectId, path.instanceId))
    return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
  if (path.instanceId !== undefined && ssid !== undefined) {
    const d = denied(scope, ssid, path.objectId, path.instanceId, ACL.READ);
    if (d) return d;
  }
  if (path.resourceId !== undefined) {
    const rdef = def.resources.get(path.resourceId);
    if (!rdef) return { ok: false, code: Code.NOT_FOUND, reason: 'resource not defined' };
    if (!rdef.operations.includes('R')) return { ok: false, code: Code.METHOD_NOT_ALLOWED, reason: 'resource not readable' };
  }
  const readable = (oid: number, rid: number) => getObjectDef(oid)?.resources.get(rid)?.operations.includes('R') ?? false;
  let records: ResourceRecord[];
  if (path.instanceId === undefined && ssid !== undefined) {
    records = [];
    for (const iid of visibleInstances(scope, path.objectId, ssid)) records.push(...collectRecords(tree, { objectId: path.objectId, instanceId: iid }, readable));
  } else {
    records = collectRecords(tree, path, readable);
  }
  if (path.objectId === OBJ.DEVICE) liveDeviceValues(scope, path, records);
  if (path.resourceId !== undefined && records.length === 0) {
    const v = tree.get(path.objectId, path.instanceId!, path.resourceId);
    if (!(isMultiple(v) && path.resourceInstanceId === undefined)) return { ok: false, code: Code.NOT_FOUND, reason: 'no value' };
  }
  return { ok: true, records };
}

/** The Device object's values computed at read time (Current Time, Memory Free) replace or join the stored ones. */
function liveDeviceValues(scope: DmScope, path: Path, records: ResourceRecord[]): void {
  if (path.instanceId !== undefined && path.instanceId !== 0) return;
  if (!scope.ctx.tree().getInstance(OBJ.DEVICE, 0)) return;
  if (path.resourceInstanceId !== undefined) return;
  const def = getObjectDef(OBJ.DEVICE)!;
  for (const rid of def.resources.keys()) {
    if (path.resourceId !== undefined && path.resourceId !== rid) continue;
    const v = scope.ctx.device.read(rid);
    if (v === undefined) continue;
    const i = records.findIndex((r) => r.path.objectId === OBJ.DEVICE && r.path.resourceId === rid);
    const rec = { path: { objectId: OBJ.DEVICE, instanceId: 0, resourceId: rid }, value: v };
    if (i >= 0) records[i] = rec; else records.push(rec);
  }
  records.sort((a, b) => a.path.objectId! - b.path.objectId! || a.path.instanceId! - b.path.instanceId! || a.path.resourceId! - b.path.resourceId!
    || (a.path.resourceInstanceId ?? -1) - (b.path.resourceInstanceId ?? -1));
}

/** A 2.05 with `records` in `accept`, or the default format for the path; 4.06 for a format the client cannot answer in. */
export function encodeRecords(scope: DmScope, path: Path, records: ResourceRecord[], accept: number | undefined, ssid?: number): EncodeResult {
  const format = accept ?? defaultFormat(path, records);
  if (!isSupportedFormat(format) || format === ContentFormat.LINK_FORMAT) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `cannot answer in format ${format}` };
  const tree = scope.ctx.tree();
  const instances = path.instanceId === undefined && path.objectId !== undefined
    ? (ssid !== undefined ? visibleInstances(scope, path.objectId, ssid) : tree.instanceIds(path.objectId)).map((i) => ({ objectId: path.objectId!, instanceId: i }))
    : undefined;
  const enc = encodePayload(format, path, records, resolveType, instances ? { instances } : undefined);
  if (!enc.ok) return { ok: false, code: enc.code === Code.UNSUPPORTED_CONTENT_FORMAT || enc.code === Code.BAD_REQUEST ? Code.NOT_ACCEPTABLE : enc.code, reason: enc.reason };
  return { ok: true, spec: { code: Code.CONTENT, contentFormat: format, payload: enc.value } };
}

/** Read-Composite: what each path yields; a path that is absent or not readable is left out (partial presence). */
export function readComposite(scope: DmScope, paths: Path[], ssid?: number): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const got = readRecords(scope, p, ssid);
    if (!got.ok) continue;
    for (const r of got.records) {
      const k = formatPath(r.path);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

export function encodeComposite(records: ResourceRecord[], format: number): EncodeResult {
  if (!COMPOSITE_FORMATS.has(format)) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `composite answer in format ${format}` };
  const enc = encodePayload(format, {}, records, resolveType);
  if (!enc.ok) return { ok: false, code: enc.code, reason: enc.reason };
  return { ok: true, spec: { code: Code.CONTENT, contentFormat: format, payload: enc.value } };
}

/** The current records of an observation (composite: missing paths left out). */
export function readObserved(scope: DmScope, ssid: number, paths: Path[], composite: boolean): ReadResult {
  if (!composite) return readRecords(scope, paths[0]!, ssid);
  return { ok: true, records: readComposite(scope, paths, ssid) };
}

/** A notification body in the observation's format. */
export function encodeObserved(scope: DmScope, paths: Path[], composite: boolean, records: ResourceRecord[], format: number | undefined): EncodeResult {
  if (!composite) return encodeRecords(scope, paths[0]!, records, format);
  return encodeComposite(records, format ?? ContentFormat.SENML_CBOR);
}

function defaultFormat(path: Path, records: ResourceRecord[]): number {
  if (path.resourceId !== undefined && (path.resourceInstanceId !== undefined || (records.length === 1 && records[0].path.resourceInstanceId === undefined)))
    return records[0]?.value instanceof Uint8Array ? ContentFormat.OPAQUE : ContentFormat.TEXT;
  return ContentFormat.TLV;
}

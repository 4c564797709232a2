// Read (Core §5.4.1) and what Observe, Read-Composite and Send build on: the
// records a server may read at a path (Access Control, readable resources,
// the Device object's live values), and their encoding in the format asked
// for (Accept), or the default for the path (text/opaque for one value, TLV).
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { COMPOSITE_FORMATS, formatEntry, PREFERRED_FORMAT, type ResourceRecord } from '../../formats/index';
import { formatPath } from '../../model/path';
import type { Path } from '../../model/types';
import { ACL } from './access-control';
import { collectRecords } from '../objects/apply';
import { denied, fail, visibleInstances, type DmScope } from './scope';
import type { ReadValue } from '../objects/object-api';
import { isMultiple, type ResourceValue } from '../objects/object-tree';
import type { Refused } from '../engine/request-checks';
import type { EncodeResult, ReadResult } from '../reporting/reporting';
import { formatErrorCode } from '../engine/refusal';


export function read(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec | Promise<ResponseSpec> {
  const got = readRecords(scope, path, ssid, true);
  if (!got.ok) return fail(scope, got.code, got.reason, req);
  const answer = (records: ResourceRecord[]): ResponseSpec => {
    const empty = emptyResource(scope, path, records);
    if (empty) return fail(scope, empty.code, empty.reason, req);
    const enc = encodeRecords(scope, path, records, req.accept, ssid);
    return enc.ok ? enc.spec : fail(scope, enc.code, enc.reason, req);
  };
  if (got.pending.length === 0) return answer(got.records);
  return awaitLive(scope, got.records, got.pending).then((r) => (r.ok ? answer(r.records) : fail(scope, r.code, r.reason, req)));
}

/** A live value a handler is still producing (objects/object-registry.ts). */
interface PendingRead { path: Path; promise: Promise<ReadValue> }

type LiveRecords = { ok: true; records: ResourceRecord[]; pending: PendingRead[] } | Refused;

/**
 * Records readable at `path` by `ssid` (any server when undefined), or why not.
 * Handlers' live values replace stored ones; with `wait`, asynchronous ones are
 * returned as pending (a Read waits for them), otherwise their last answer is used.
 */
export function readRecords(scope: DmScope, path: Path, ssid?: number, wait = false): LiveRecords {
  const { ctx } = scope;
  const objects = ctx.objects;
  const tree = ctx.tree();
  if (path.objectId === undefined) {
    // Root (Read-Composite "/"): every readable object, never Security.
    const records: ResourceRecord[] = [];
    for (const oid of [...objects.supported].sort((a, b) => a - b)) {
      if (objects.hidden(oid)) continue;
      const got = readRecords(scope, { objectId: oid }, ssid);
      if (got.ok) records.push(...got.records);
    }
    return { ok: true, records, pending: [] };
  }
  if (objects.hidden(path.objectId)) return { ok: false, code: Code.UNAUTHORIZED, reason: `object /${path.objectId} is not accessible` };
  const def = objects.def(path.objectId);
  if (!def || !objects.supported.has(path.objectId)) return { ok: false, code: Code.NOT_FOUND, reason: 'object not supported' };
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
  const readable = (oid: number, rid: number) => objects.resource(oid, rid)?.operations.includes('R') ?? false;
  const iids = path.instanceId !== undefined ? [path.instanceId]
    : ssid !== undefined ? visibleInstances(scope, path.objectId, ssid) : tree.instanceIds(path.objectId);
  const records: ResourceRecord[] = [];
  for (const iid of iids) records.push(...collectRecords(tree, { ...path, instanceId: iid }, readable));
  const pending: PendingRead[] = [];
  if (objects.handler(path.objectId)?.read) {
    const rids = path.resourceId !== undefined ? [path.resourceId] : [...def.resources.values()].filter((r) => r.operations.includes('R')).map((r) => r.id);
    for (const iid of iids) {
      for (const rid of rids) {
        const at: Path = { objectId: path.objectId, instanceId: iid, resourceId: rid };
        const live = objects.read(path.objectId, iid, rid, ssid);
        if (live.kind === 'failed') return { ok: false, code: Code.INTERNAL_SERVER_ERROR, reason: live.reason };
        if (live.kind === 'value') overlay(records, at, live.value, path.resourceInstanceId);
        else if (live.kind === 'pending') {
          if (wait) pending.push({ path: at, promise: live.promise });
          else if (live.last !== undefined) overlay(records, at, live.last, path.resourceInstanceId);
        }
      }
    }
    sortRecords(records);
  }
  return { ok: true, records, pending };
}

/** A Read of one resource that has no value (neither stored nor live) is 4.04; an empty multiple resource is not. */
function emptyResource(scope: DmScope, path: Path, records: ResourceRecord[]): Refused | undefined {
  if (path.resourceId === undefined || records.length > 0) return undefined;
  const v = scope.ctx.tree().get(path.objectId!, path.instanceId!, path.resourceId);
  if (isMultiple(v) && path.resourceInstanceId === undefined) return undefined;
  return { ok: false, code: Code.NOT_FOUND, reason: 'no value' };
}

/** Waits for the live values still coming, up to the read bound; 5.03 past it, 5.00 on a failure. */
function awaitLive(scope: DmScope, records: ResourceRecord[], pending: PendingRead[]): Promise<{ ok: true; records: ResourceRecord[] } | Refused> {
  const { ctx } = scope;
  const where = pending.map((p) => formatPath(p.path)).join(', ');
  return new Promise((resolve) => {
    let done = false;
    const timer = ctx.timers.setTimeout(() => {
      if (done) return;
      done = true;
      for (const p of pending) ctx.objects.abandon(p.path.objectId!, p.path.instanceId!, p.path.resourceId!);
      ctx.log.warn(`dm: read handler of ${where} gave no value within ${ctx.readTimeout} ms`);
      resolve({ ok: false, code: Code.SERVICE_UNAVAILABLE, reason: `no value from ${where} in time` });
    }, ctx.readTimeout);
    Promise.all(pending.map((p) => p.promise)).then((values) => {
      if (done) return;
      done = true;
      ctx.timers.clearTimeout(timer);
      values.forEach((v, i) => { if (v !== undefined) overlay(records, pending[i]!.path, v, undefined); });
      sortRecords(records);
      resolve({ ok: true, records });
    }, (e: unknown) => {
      if (done) return;
      done = true;
      ctx.timers.clearTimeout(timer);
      ctx.log.error(`objects: read handler of ${where} failed: ${e instanceof Error ? e.message : String(e)}`);
      resolve({ ok: false, code: Code.INTERNAL_SERVER_ERROR, reason: `read handler of ${where} failed` });
    });
  });
}

/** Puts a live value in place of the stored records of that resource (one resource instance when `riid` is given). */
function overlay(records: ResourceRecord[], at: Path, value: ResourceValue, riid: number | undefined): void {
  for (let i = records.length - 1; i >= 0; i--) {
    const p = records[i]!.path;
    if (p.objectId === at.objectId && p.instanceId === at.instanceId && p.resourceId === at.resourceId) records.splice(i, 1);
  }
  if (!isMultiple(value)) { if (riid === undefined) records.push({ path: at, value }); return; }
  for (const [k, v] of [...value].sort((a, b) => a[0] - b[0])) {
    if (riid === undefined || riid === k) records.push({ path: { ...at, resourceInstanceId: k }, value: v });
  }
}

function sortRecords(records: ResourceRecord[]): void {
  records.sort((a, b) => a.path.objectId! - b.path.objectId! || a.path.instanceId! - b.path.instanceId! || a.path.resourceId! - b.path.resourceId!
    || (a.path.resourceInstanceId ?? -1) - (b.path.resourceInstanceId ?? -1));
}

/** A 2.05 with `records` in `accept`, or the default format for the path; 4.06 for a format the client cannot answer in. */
export function encodeRecords(scope: DmScope, path: Path, records: ResourceRecord[], accept: number | undefined, ssid?: number): EncodeResult {
  const format = accept ?? defaultFormat(path, records);
  if (!formatEntry(format)) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `cannot answer in format ${format}` };
  const tree = scope.ctx.tree();
  const instances = path.instanceId === undefined && path.objectId !== undefined
    ? (ssid !== undefined ? visibleInstances(scope, path.objectId, ssid) : tree.instanceIds(path.objectId)).map((i) => ({ objectId: path.objectId!, instanceId: i }))
    : undefined;
  const enc = scope.ctx.formats.encode(format, path, records, instances ? { instances } : undefined);
  if (!enc.ok) return { ok: false, code: formatErrorCode(enc.kind), reason: enc.reason };
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

export function encodeComposite(scope: DmScope, records: ResourceRecord[], format: number): EncodeResult {
  if (!COMPOSITE_FORMATS.has(format)) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `composite answer in format ${format}` };
  const enc = scope.ctx.formats.encode(format, {}, records);
  if (!enc.ok) return { ok: false, code: formatErrorCode(enc.kind), reason: enc.reason };
  return { ok: true, spec: { code: Code.CONTENT, contentFormat: format, payload: enc.value } };
}

/** The current records of an observation (composite: missing paths left out). */
export function readObserved(scope: DmScope, ssid: number, paths: Path[], composite: boolean): ReadResult {
  if (!composite) {
    const got = readRecords(scope, paths[0]!, ssid);
    if (!got.ok) return got;
    const empty = emptyResource(scope, paths[0]!, got.records);
    return empty ?? { ok: true, records: got.records };
  }
  return { ok: true, records: readComposite(scope, paths, ssid) };
}

/** A notification body in the observation's format. */
export function encodeObserved(scope: DmScope, paths: Path[], composite: boolean, records: ResourceRecord[], format: number | undefined): EncodeResult {
  if (!composite) return encodeRecords(scope, paths[0]!, records, format);
  return encodeComposite(scope, records, format ?? PREFERRED_FORMAT.composite);
}

function defaultFormat(path: Path, records: ResourceRecord[]): number {
  if (path.resourceId !== undefined && (path.resourceInstanceId !== undefined || (records.length === 1 && records[0].path.resourceInstanceId === undefined)))
    return records[0]?.value instanceof Uint8Array ? PREFERRED_FORMAT.opaque : PREFERRED_FORMAT.value;
  return PREFERRED_FORMAT.tree;
}

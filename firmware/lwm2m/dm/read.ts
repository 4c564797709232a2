// Read (Core §5.4.1) and what Observe, Read-Composite and Send build on: the
// records a server may read at a path (Access Control, readable resources,
// the Device object's live values), and their encoding in the format asked
// for (Accept), or the default for the path (text/opaque for one value, TLV).
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { COMPOSITE_FORMATS, formatEntry, PREFERRED_FORMAT, type ResourceRecord } from '../../formats/index';
import { formatPath } from '../../model/path';
import type { Path, ResourceDef } from '../../model/types';
import { ACL } from './access-control';
import { denied, fail, visibleInstances, type DmScope } from './scope';
import { readsLive, type ReadValue } from '../objects/object-api';
import { isMultiple, type ResourceValue } from '../objects/object-tree';
import type { Refused } from '../engine/request-checks';
import type { EncodeResult, ReadResult } from '../reporting/reporting';
import { formatErrorCode } from '../engine/refusal';

export function read(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec | Promise<ResponseSpec> {
  // DeviceManagement.handle has checked the object (visible, served): what is left is decided once here.
  const got = readServed(scope, path, ssid, true);
  if (!got.ok) return fail(scope, got.code, got.reason, req);
  if (got.pending.length === 0) return answer(scope, path, req, got.records, got.iids);
  return awaitLive(scope, got.records, got.pending).then((r) =>
    r.ok ? answer(scope, path, req, r.records, got.iids) : fail(scope, r.code, r.reason, req),
  );
}

function answer(scope: DmScope, path: Path, req: IncomingRequest, records: ResourceRecord[], iids: readonly number[]): ResponseSpec {
  const empty = emptyResource(scope, path, records);
  if (empty) return fail(scope, empty.code, empty.reason, req);
  const enc = encodeRecords(scope, path, records, req.accept, iids);
  return enc.ok ? enc.spec : fail(scope, enc.code, enc.reason, req);
}

/** A live value a handler is still producing (objects/object-registry.ts). */
interface PendingRead {
  path: Path;
  promise: Promise<ReadValue>;
}

/** The records, the live values still coming, and the instances read (those the server may see). */
type LiveRecords = { ok: true; records: ResourceRecord[]; pending: readonly PendingRead[]; iids: readonly number[] } | Refused;

// Frozen: preloaded on the device, they stay in flash.
const NONE: readonly PendingRead[] = Object.freeze([]);
const NO_IIDS: readonly number[] = Object.freeze([]);

/**
 * Records readable at `path` by `ssid` (any server when undefined), or why not.
 * Handlers' live values replace stored ones; with `wait`, asynchronous ones are
 * returned as pending (a Read waits for them), otherwise their last answer is used.
 */
export function readRecords(scope: DmScope, path: Path, ssid?: number, wait = false): LiveRecords {
  const objects = scope.ctx.objects;
  if (path.objectId === undefined) {
    // Root (Read-Composite "/"): every readable object, never Security.
    const records: ResourceRecord[] = [];
    for (const oid of [...objects.supported].sort((a, b) => a - b)) {
      if (objects.hidden(oid)) continue;
      const got = readServed(scope, { objectId: oid }, ssid, false);
      if (got.ok) for (let i = 0; i < got.records.length; i++) records.push(got.records[i]!);
    }
    return { ok: true, records, pending: NONE, iids: NO_IIDS };
  }
  if (objects.hidden(path.objectId)) return { ok: false, code: Code.UNAUTHORIZED, reason: `object /${path.objectId} is not accessible` };
  if (!objects.supported.has(path.objectId)) return { ok: false, code: Code.NOT_FOUND, reason: 'object not supported' };
  return readServed(scope, path, ssid, wait);
}

/**
 * readRecords for an object known to be served and visible: instance, access
 * control and resource decided once each, then one pass over the instances
 * that gathers stored and live values in order (no sort unless a definition
 * or a multiple resource lists its ids out of order).
 */
function readServed(scope: DmScope, path: Path, ssid: number | undefined, wait: boolean): LiveRecords {
  const { ctx } = scope;
  const objects = ctx.objects;
  const tree = ctx.tree();
  const oid = path.objectId!;
  const def = objects.def(oid);
  if (!def) return { ok: false, code: Code.NOT_FOUND, reason: 'object not supported' };
  const iid = path.instanceId;
  if (iid !== undefined && !tree.getInstance(oid, iid)) return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
  if (iid !== undefined && ssid !== undefined) {
    const d = denied(scope, ssid, oid, iid, ACL.READ);
    if (d) return d;
  }
  const rid = path.resourceId;
  let one: ResourceDef | undefined;
  if (rid !== undefined) {
    one = def.resources.get(rid);
    if (!one) return { ok: false, code: Code.NOT_FOUND, reason: 'resource not defined' };
    if (!one.operations.includes('R')) return { ok: false, code: Code.METHOD_NOT_ALLOWED, reason: 'resource not readable' };
  }
  const iids = iid !== undefined ? [iid] : ssid !== undefined ? visibleInstances(scope, oid, ssid) : tree.instanceIds(oid);
  const handler = objects.handler(oid);
  const live = handler?.read !== undefined;
  const out: Gather = { scope, oid, ssid, wait, riid: path.resourceInstanceId, records: [], pending: NONE, ordered: true };
  for (let i = 0; i < iids.length; i++) {
    const at = iids[i]!;
    const inst = tree.getInstance(oid, at);
    // A handler answers for instances the tree does not hold; the stored values need the instance.
    if (!inst && !live) continue;
    if (one !== undefined) {
      const failed = gather(out, at, one, inst?.get(one.id), live && readsLive(handler, one.id));
      if (failed) return failed;
      continue;
    }
    // The definition's own order (id order as generated; a DDF out of order costs a sort). No list of the
    // readable resources is kept: on the device every object's would stay in RAM.
    let last = -1;
    for (const r of def.resources.values()) {
      if (!r.operations.includes('R')) continue;
      const stored = inst?.get(r.id);
      // Resources the handler does not produce come from the tree without asking it (ObjectHandler.liveResources).
      const asks = live && readsLive(handler, r.id);
      if (stored === undefined && !asks) continue;
      if (r.id < last) out.ordered = false;
      last = r.id;
      const failed = gather(out, at, r, stored, asks);
      if (failed) return failed;
    }
  }
  if (!out.ordered) sortRecords(out.records);
  return { ok: true, records: out.records, pending: out.pending, iids };
}

/** One Read's gathering: what it reads (object, asking server, waits or not, one resource instance) and what it found. */
interface Gather {
  readonly scope: DmScope;
  readonly oid: number;
  readonly ssid: number | undefined;
  readonly wait: boolean;
  readonly riid: number | undefined;
  records: ResourceRecord[];
  pending: readonly PendingRead[];
  ordered: boolean;
}

/** The records of one resource: its live value when the handler gives one, else the stored one. */
function gather(out: Gather, iid: number, def: ResourceDef, stored: ResourceValue | undefined, live: boolean): Refused | undefined {
  const oid = out.oid;
  const rid = def.id;
  const riid = out.riid;
  let value = stored;
  let single = true; // a live single value is left out when one resource instance is asked for
  if (live) {
    const got = out.scope.ctx.objects.read(oid, iid, rid, out.ssid);
    if (got.kind === 'failed') return { ok: false, code: Code.INTERNAL_SERVER_ERROR, reason: got.reason };
    if (got.kind === 'value') {
      value = got.value;
      single = false;
    } else if (got.kind === 'pending') {
      if (out.wait) {
        const pending = out.pending === NONE ? [] : (out.pending as PendingRead[]);
        pending.push({ path: { objectId: oid, instanceId: iid, resourceId: rid }, promise: got.promise });
        out.pending = pending;
      } else if (got.last !== undefined) {
        value = got.last;
        single = false;
      }
    }
  }
  if (value === undefined) return undefined;
  const records = out.records;
  if (!isMultiple(value)) {
    if (single || riid === undefined) records.push({ path: { objectId: oid, instanceId: iid, resourceId: rid }, value, def });
    return undefined;
  }
  if (riid !== undefined) {
    const x = value.get(riid);
    if (x !== undefined)
      records.push({ path: { objectId: oid, instanceId: iid, resourceId: rid, resourceInstanceId: riid }, value: x, def });
    return undefined;
  }
  let last = -1;
  for (const [k, x] of value) {
    if (k < last) out.ordered = false;
    last = k;
    records.push({ path: { objectId: oid, instanceId: iid, resourceId: rid, resourceInstanceId: k }, value: x, def });
  }
  return undefined;
}

/** A Read of one resource that has no value (neither stored nor live) is 4.04; an empty multiple resource is not. */
function emptyResource(scope: DmScope, path: Path, records: ResourceRecord[]): Refused | undefined {
  if (path.resourceId === undefined || records.length > 0) return undefined;
  const v = scope.ctx.tree().get(path.objectId!, path.instanceId!, path.resourceId);
  if (isMultiple(v) && path.resourceInstanceId === undefined) return undefined;
  return { ok: false, code: Code.NOT_FOUND, reason: 'no value' };
}

/** Waits for the live values still coming, up to the read bound; 5.03 past it, 5.00 on a failure. */
function awaitLive(
  scope: DmScope,
  records: ResourceRecord[],
  pending: readonly PendingRead[],
): Promise<{ ok: true; records: ResourceRecord[] } | Refused> {
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
    Promise.all(pending.map((p) => p.promise)).then(
      (values) => {
        if (done) return;
        done = true;
        ctx.timers.clearTimeout(timer);
        values.forEach((v, i) => {
          if (v !== undefined) overlay(records, pending[i]!.path, v, undefined);
        });
        sortRecords(records);
        resolve({ ok: true, records });
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        ctx.timers.clearTimeout(timer);
        ctx.log.error(`objects: read handler of ${where} failed: ${e instanceof Error ? e.message : String(e)}`);
        resolve({ ok: false, code: Code.INTERNAL_SERVER_ERROR, reason: `read handler of ${where} failed` });
      },
    );
  });
}

/** Puts a live value in place of the stored records of that resource (one resource instance when `riid` is given). */
function overlay(records: ResourceRecord[], at: Path, value: ResourceValue, riid: number | undefined): void {
  for (let i = records.length - 1; i >= 0; i--) {
    const p = records[i]!.path;
    if (p.objectId === at.objectId && p.instanceId === at.instanceId && p.resourceId === at.resourceId) records.splice(i, 1);
  }
  if (!isMultiple(value)) {
    if (riid === undefined) records.push({ path: at, value });
    return;
  }
  for (const [k, v] of [...value].sort((a, b) => a[0] - b[0])) {
    if (riid === undefined || riid === k) records.push({ path: { ...at, resourceInstanceId: k }, value: v });
  }
}

function sortRecords(records: ResourceRecord[]): void {
  records.sort(
    (a, b) =>
      a.path.objectId! - b.path.objectId! ||
      a.path.instanceId! - b.path.instanceId! ||
      a.path.resourceId! - b.path.resourceId! ||
      (a.path.resourceInstanceId ?? -1) - (b.path.resourceInstanceId ?? -1),
  );
}

/**
 * A 2.05 with `records` in `accept`, or the default format for the path; 4.06 for a format the client cannot answer in.
 * `iids`: the instances an object-level answer lists (those the Read gathered; every instance when not given).
 */
export function encodeRecords(
  scope: DmScope,
  path: Path,
  records: ResourceRecord[],
  accept: number | undefined,
  iids?: readonly number[],
): EncodeResult {
  const format = accept ?? defaultFormat(path, records);
  if (!formatEntry(format)) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `cannot answer in format ${format}` };
  let instances: Array<{ objectId: number; instanceId: number }> | undefined;
  if (path.instanceId === undefined && path.objectId !== undefined) {
    const oid = path.objectId;
    const ids = iids ?? scope.ctx.tree().instanceIds(oid);
    instances = [];
    for (let i = 0; i < ids.length; i++) instances.push({ objectId: oid, instanceId: ids[i]! });
  }
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
export function encodeObserved(
  scope: DmScope,
  paths: Path[],
  composite: boolean,
  records: ResourceRecord[],
  format: number | undefined,
): EncodeResult {
  if (!composite) return encodeRecords(scope, paths[0]!, records, format);
  return encodeComposite(scope, records, format ?? PREFERRED_FORMAT.composite);
}

function defaultFormat(path: Path, records: ResourceRecord[]): number {
  if (
    path.resourceId !== undefined &&
    (path.resourceInstanceId !== undefined || (records.length === 1 && records[0].path.resourceInstanceId === undefined))
  )
    return records[0]?.value instanceof Uint8Array ? PREFERRED_FORMAT.opaque : PREFERRED_FORMAT.value;
  return PREFERRED_FORMAT.tree;
}

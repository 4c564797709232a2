// Write (Core §5.4.3, Transport §6.4.3): Replace (PUT) or Partial Update
// (POST) of an instance, a resource or a resource instance. Checks come
// first (existence, Access Control, writable resources, format, the values'
// ranges), then the object's handler (objects/object-api.ts), which may refuse or
// keep some values itself; so a refused Write changes nothing.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import type { Path } from '../../model/types';
import { ACL } from './access-control';
import { applyDecoded, valuesByResource } from '../objects/apply';
import { afterChange, denied, fail, type DmScope } from './scope';
import { isRefusal, refusalCode } from '../objects/object-registry';
import { isMultiple } from '../objects/object-tree';
import { payloadFormat } from '../engine/request-checks';
import { formatErrorCode } from '../engine/refusal';
import { rangeProblem } from '../objects/value-checks';

export function write(scope: DmScope, path: Path, req: IncomingRequest, ssid: number, replace: boolean): ResponseSpec {
  const { ctx } = scope;
  const tree = ctx.tree();
  if (path.instanceId === undefined) return fail(scope, Code.METHOD_NOT_ALLOWED, 'Write on an object', req);
  if (!tree.getInstance(path.objectId!, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, path.objectId!, path.instanceId, ACL.WRITE);
  if (d) return fail(scope, d.code, d.reason, req);
  const def = ctx.objects.def(path.objectId!)!;
  if (path.resourceId !== undefined) {
    const rdef = def.resources.get(path.resourceId);
    if (!rdef) return fail(scope, Code.NOT_FOUND, 'resource not defined', req);
    if (!rdef.operations.includes('W')) return fail(scope, Code.METHOD_NOT_ALLOWED, 'resource not writable', req);
    if (path.resourceInstanceId !== undefined && !rdef.multiple) return fail(scope, Code.NOT_FOUND, 'not a multiple resource', req);
  }
  const format = payloadFormat(req, path);
  if (!format.ok) return fail(scope, format.code, format.reason, req);
  const decoded = ctx.formats.decode(format.format, req.payload, path);
  if (!decoded.ok) return fail(scope, formatErrorCode(decoded.kind), decoded.reason, req);
  for (const r of decoded.value.records) {
    const at = `/${path.objectId}/${path.instanceId}/${r.path.resourceId}`;
    const rdef = def.resources.get(r.path.resourceId!);
    if (!rdef) return fail(scope, Code.NOT_FOUND, `${at} not defined`, req);
    if (!rdef.operations.includes('W')) return fail(scope, Code.METHOD_NOT_ALLOWED, `${at} not writable`, req);
    const problem = rangeProblem(rdef, r.value);
    if (problem) return fail(scope, Code.BAD_REQUEST, `${at}: ${problem}`, req);
  }
  // The object's handler last: it may refuse the Write, or keep values itself (a clock offset, a download).
  const handler = ctx.objects.handler(path.objectId!);
  let consumed: ReadonlySet<number> | undefined;
  if (handler?.write) {
    let outcome;
    try {
      outcome = handler.write({
        instanceId: path.instanceId,
        // A multiple resource: its whole new Map, merged with what is there unless a Replace of the whole resource or instance.
        values: valuesByResource(
          decoded.value.records,
          !replace || path.resourceInstanceId !== undefined ? (rid) => tree.get(path.objectId!, path.instanceId!, rid) : undefined,
        ),
        replace,
        ssid,
      });
    } catch (e) {
      ctx.log.error(`objects: write handler of /${path.objectId}/${path.instanceId} failed: ${(e as Error).message}`);
      return fail(scope, Code.INTERNAL_SERVER_ERROR, 'write handler failed', req);
    }
    if (isRefusal(outcome)) return fail(scope, refusalCode(outcome), outcome.reason, req);
    if (outcome && 'consumed' in outcome) consumed = new Set(outcome.consumed);
  }
  const records = consumed ? decoded.value.records.filter((r) => !consumed.has(r.path.resourceId!)) : decoded.value.records;
  // Everything written was the handler's to keep: nothing is stored (it tells observers itself).
  if (consumed && records.length === 0) return { code: Code.CHANGED };
  const limits = ctx.limits;
  let applied;
  if (path.resourceInstanceId !== undefined) {
    // Resource-instance write updates that one instance of a multiple resource.
    const cur = tree.get(path.objectId!, path.instanceId, path.resourceId!);
    const m = isMultiple(cur) ? cur : new Map();
    if (!m.has(path.resourceInstanceId) && m.size >= limits.maxResourceInstances)
      return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, 'too many resource instances', req);
    for (const r of records) m.set(r.path.resourceInstanceId!, r.value);
    tree.set(path.objectId!, path.instanceId, path.resourceId!, m);
    applied = { ok: true as const };
  } else if (replace && path.resourceId === undefined) {
    // Replace on an instance: writable resources not in the payload go away,
    // read-only ones (not the server's to set) stay.
    const inst = tree.getInstance(path.objectId!, path.instanceId)!;
    const snapshot = new Map(inst);
    for (const rid of [...inst.keys()]) if (def.resources.get(rid)?.operations.includes('W')) inst.delete(rid);
    applied = applyDecoded(tree, { ...decoded.value, records }, limits);
    if (!applied.ok) {
      inst.clear();
      for (const [k, v] of snapshot) inst.set(k, v);
    }
  } else if (!replace && path.resourceId !== undefined) {
    // Partial update of a multiple resource (POST /o/i/r): merge instances.
    const cur = tree.get(path.objectId!, path.instanceId, path.resourceId);
    const m = isMultiple(cur) ? new Map(cur) : new Map();
    for (const r of records) if (r.path.resourceInstanceId !== undefined) m.set(r.path.resourceInstanceId, r.value);
    if (m.size > limits.maxResourceInstances) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, 'too many resource instances', req);
    const single = records.find((r) => r.path.resourceInstanceId === undefined);
    tree.set(path.objectId!, path.instanceId, path.resourceId, single ? single.value : m);
    applied = { ok: true as const };
  } else {
    applied = applyDecoded(tree, { ...decoded.value, records }, limits);
  }
  if (!applied.ok) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, req);
  afterChange(scope, 'write', path, ssid);
  return { code: Code.CHANGED };
}

// Write (Core §5.4.3, Transport §6.4.3): Replace (PUT) or Partial Update
// (POST) of an instance, a resource or a resource instance. Checks come
// first (existence, Access Control, writable resources, format), so a refused
// Write changes nothing; Device Current Time moves the clock instead.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code } from '../coap/message';
import { decodePayload } from '../formats/index';
import { getObjectDef } from '../model/objects';
import type { Path } from '../model/types';
import { ACL } from './access-control';
import { applyDecoded } from './apply';
import { afterChange, denied, fail, type DmScope } from './dm-scope';
import { OBJ } from './ids';
import { isMultiple } from './object-tree';
import { payloadFormat } from './request-checks';
import { resolveType } from './resolver';

export function write(scope: DmScope, path: Path, req: IncomingRequest, ssid: number, replace: boolean): ResponseSpec {
  const { ctx } = scope;
  const tree = ctx.tree();
  if (path.instanceId === undefined) return fail(scope, Code.METHOD_NOT_ALLOWED, 'Write on an object', req);
  if (!tree.getInstance(path.objectId!, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, path.objectId!, path.instanceId, ACL.WRITE);
  if (d) return fail(scope, d.code, d.reason, req);
  const def = getObjectDef(path.objectId!)!;
  if (path.resourceId !== undefined) {
    const rdef = def.resources.get(path.resourceId);
    if (!rdef) return fail(scope, Code.NOT_FOUND, 'resource not defined', req);
    if (!rdef.operations.includes('W')) return fail(scope, Code.METHOD_NOT_ALLOWED, 'resource not writable', req);
    if (path.resourceInstanceId !== undefined && !rdef.multiple) return fail(scope, Code.NOT_FOUND, 'not a multiple resource', req);
  }
  const format = payloadFormat(req, path);
  if (!format.ok) return fail(scope, format.code, format.reason, req);
  const decoded = decodePayload(format.format, req.payload, path, resolveType);
  if (!decoded.ok) return fail(scope, decoded.code, decoded.reason, req);
  for (const r of decoded.value.records) {
    const rdef = def.resources.get(r.path.resourceId!);
    if (!rdef) return fail(scope, Code.NOT_FOUND, `/${path.objectId}/${path.instanceId}/${r.path.resourceId} not defined`, req);
    if (!rdef.operations.includes('W')) return fail(scope, Code.METHOD_NOT_ALLOWED, `/${path.objectId}/${path.instanceId}/${r.path.resourceId} not writable`, req);
  }
  // Device /3/0/13 moves the clock instead of storing a value; Firmware Update's Package and Package URI start a download.
  const fw = path.objectId === OBJ.FIRMWARE ? ctx.firmware : undefined;
  const records = [];
  for (const r of decoded.value.records) {
    if (fw?.ownsWrite(r.path.resourceId!)) {
      const f = fw.write(r.path.resourceId!, r.value, ssid);
      if (f?.code !== undefined) return fail(scope, f.code, f.reason, req);
    } else if (!(path.objectId === OBJ.DEVICE && ctx.device.write(r.path.resourceId!, r.value))) {
      records.push(r);
    }
  }
  if (fw && records.length === 0) return { code: Code.CHANGED };
  const limits = ctx.limits;
  let applied;
  if (path.resourceInstanceId !== undefined) {
    // Resource-instance write updates that one instance of a multiple resource.
    const cur = tree.get(path.objectId!, path.instanceId, path.resourceId!);
    const m = isMultiple(cur) ? cur : new Map();
    if (!m.has(path.resourceInstanceId) && m.size >= limits.maxResourceInstances) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, 'too many resource instances', req);
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
    if (!applied.ok) { inst.clear(); for (const [k, v] of snapshot) inst.set(k, v); }
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

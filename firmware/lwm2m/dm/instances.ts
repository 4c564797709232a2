// Create and Delete (Core §5.4.6, §5.4.7): instances of the objects a server
// may manage. Objects whose instances belong to the Bootstrap-Server and the
// client (ObjectSpec.fixedInstances: Server, Access Control, Device) answer
// 4.05; an object's instances are bounded (ObjectSpec.maxInstances); its
// handler may refuse. A created instance gets its Access Control instance
// (Core §7.3.3), a deleted one loses it and its attributes.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { MAX_ID } from '../../model/path';
import type { Path } from '../../model/types';
import { ACL, createAclFor, deleteAclFor, mayCreate } from './access-control';
import { applyDecoded, valuesByResource } from '../objects/apply';
import { afterChange, denied, fail, type DmScope } from './scope';
import { isRefusal, refusalCode } from '../objects/object-registry';
import { payloadFormat } from '../engine/request-checks';
import { formatErrorCode } from '../engine/refusal';
import { rangeProblem } from '../objects/value-checks';

export function create(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  const tree = ctx.tree();
  const objects = ctx.objects;
  const def = objects.def(path.objectId!)!;
  if (objects.fixedInstances(path.objectId!))
    return fail(scope, Code.METHOD_NOT_ALLOWED, `Create on /${path.objectId} is not allowed`, req);
  if (!mayCreate(tree, ssid, path.objectId!)) return fail(scope, Code.UNAUTHORIZED, 'no Create right', req);
  if (!def.multiple && tree.instanceIds(path.objectId!).length > 0)
    return fail(scope, Code.BAD_REQUEST, 'single-instance object already has an instance', req);
  const max = objects.maxInstances(path.objectId!, ctx.limits.maxInstancesPerObject);
  if (tree.instanceIds(path.objectId!).length >= max)
    return fail(scope, Code.SERVICE_UNAVAILABLE, `/${path.objectId} holds its ${max} instances`, req);
  const format = payloadFormat(req, path);
  if (!format.ok) return fail(scope, format.code, format.reason, req);
  // The payload names the new instance (server-chosen id) or only resources
  // (client-chosen id): decode at object level first, then at instance level.
  let decoded = ctx.formats.decode(format.format, req.payload, path);
  let iid: number;
  if (decoded.ok && decoded.value.instances.length === 1) {
    iid = decoded.value.instances[0].instanceId;
    if (tree.getInstance(path.objectId!, iid)) return fail(scope, Code.BAD_REQUEST, `instance ${iid} exists`, req);
  } else {
    iid = 0;
    while (tree.getInstance(path.objectId!, iid)) iid++;
    decoded = ctx.formats.decode(format.format, req.payload, { objectId: path.objectId, instanceId: iid });
    if (decoded.ok && decoded.value.instances.length === 0) decoded.value.instances.push({ objectId: path.objectId!, instanceId: iid });
  }
  if (!decoded.ok) return fail(scope, formatErrorCode(decoded.kind), decoded.reason, req);
  if (iid > MAX_ID) return fail(scope, Code.BAD_REQUEST, 'bad instance id', req);
  for (const r of decoded.value.records) {
    const rdef = def.resources.get(r.path.resourceId!);
    if (!rdef) return fail(scope, Code.BAD_REQUEST, `resource ${r.path.resourceId} not defined`, req);
    const problem = rangeProblem(rdef, r.value);
    if (problem) return fail(scope, Code.BAD_REQUEST, `/${path.objectId}/${iid}/${r.path.resourceId}: ${problem}`, req);
  }
  // Mandatory resources come with the Create, except read-only ones the object's handler serves live.
  const liveReads = objects.handler(path.objectId!)?.read !== undefined;
  for (const [rid, rdef] of def.resources) {
    const served = liveReads && !rdef.operations.includes('W');
    if (rdef.mandatory && rdef.operations !== 'E' && !served && !decoded.value.records.some((r) => r.path.resourceId === rid))
      return fail(scope, Code.BAD_REQUEST, `mandatory resource ${rid} missing`, req);
  }
  const handler = objects.handler(path.objectId!);
  if (handler?.create) {
    let outcome;
    try {
      outcome = handler.create({ instanceId: iid, values: valuesByResource(decoded.value.records), ssid });
    } catch (e) {
      ctx.log.error(`objects: create handler of /${path.objectId} failed: ${(e as Error).message}`);
      return fail(scope, Code.INTERNAL_SERVER_ERROR, 'create handler failed', req);
    }
    if (isRefusal(outcome)) return fail(scope, refusalCode(outcome), outcome.reason, req);
  }
  const applied = applyDecoded(tree, decoded.value, { ...ctx.limits, maxInstancesPerObject: max });
  if (!applied.ok) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, req);
  if (!createAclFor(tree, ssid, path.objectId!, iid, ctx.limits.maxInstancesPerObject)) {
    tree.deleteInstance(path.objectId!, iid);
    return fail(scope, Code.SERVICE_UNAVAILABLE, 'no room for its Access Control instance', req);
  }
  afterChange(scope, 'create', { objectId: path.objectId, instanceId: iid }, ssid);
  return { code: Code.CREATED, locationPath: [String(path.objectId), String(iid)] };
}

export function deleteInstance(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  const tree = ctx.tree();
  if (path.instanceId === undefined || path.resourceId !== undefined)
    return fail(scope, Code.METHOD_NOT_ALLOWED, 'Delete targets an object instance', req);
  if (ctx.objects.fixedInstances(path.objectId!))
    return fail(scope, Code.METHOD_NOT_ALLOWED, `Delete on /${path.objectId} is not allowed`, req);
  if (!tree.getInstance(path.objectId!, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, path.objectId!, path.instanceId, ACL.DELETE);
  if (d) return fail(scope, d.code, d.reason, req);
  const handler = ctx.objects.handler(path.objectId!);
  if (handler?.delete) {
    let outcome;
    try {
      outcome = handler.delete({ instanceId: path.instanceId, ssid });
    } catch (e) {
      ctx.log.error(`objects: delete handler of /${path.objectId}/${path.instanceId} failed: ${(e as Error).message}`);
      return fail(scope, Code.INTERNAL_SERVER_ERROR, 'delete handler failed', req);
    }
    if (isRefusal(outcome)) return fail(scope, refusalCode(outcome), outcome.reason, req);
  }
  tree.deleteInstance(path.objectId!, path.instanceId);
  ctx.objects.dropInstance(path.objectId!, path.instanceId);
  deleteAclFor(tree, path.objectId!, path.instanceId);
  scope.reporting.attributes.dropInstance(path.objectId!, path.instanceId);
  afterChange(scope, 'delete', path, ssid);
  return { code: Code.DELETED };
}

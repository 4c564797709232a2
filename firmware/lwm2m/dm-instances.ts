// Create and Delete (Core §5.4.6, §5.4.7): instances of the objects a server
// may manage. Server, Access Control and Device instances belong to the
// Bootstrap-Server and the client (4.05); a created instance gets its Access
// Control instance (Core §7.3.3), a deleted one loses it and its attributes.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code } from '../coap/message';
import { decodePayload } from '../formats/index';
import { MAX_ID } from '../model/path';
import { getObjectDef } from '../model/objects';
import type { Path } from '../model/types';
import { ACL, createAclFor, deleteAclFor, mayCreate } from './access-control';
import { applyDecoded } from './apply';
import { afterChange, denied, fail, type DmScope } from './dm-scope';
import { OBJ } from './ids';
import { payloadFormat } from './request-checks';
import { resolveType } from './resolver';

/** Objects whose instances an LwM2M Server may not Create or Delete (the Bootstrap-Server and the client own them). */
const FIXED_INSTANCES: ReadonlySet<number> = new Set([OBJ.SERVER, OBJ.ACCESS_CONTROL, OBJ.DEVICE]);

export function create(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  const tree = ctx.tree();
  const def = getObjectDef(path.objectId!)!;
  if (FIXED_INSTANCES.has(path.objectId!)) return fail(scope, Code.METHOD_NOT_ALLOWED, `Create on /${path.objectId} is not allowed`, req);
  if (!mayCreate(tree, ssid, path.objectId!)) return fail(scope, Code.UNAUTHORIZED, 'no Create right', req);
  if (!def.multiple && tree.instanceIds(path.objectId!).length > 0) return fail(scope, Code.BAD_REQUEST, 'single-instance object already has an instance', req);
  const format = payloadFormat(req, path);
  if (!format.ok) return fail(scope, format.code, format.reason, req);
  // The payload names the new instance (server-chosen id) or only resources
  // (client-chosen id): decode at object level first, then at instance level.
  let decoded = decodePayload(format.format, req.payload, path, resolveType);
  let iid: number;
  if (decoded.ok && decoded.value.instances.length === 1) {
    iid = decoded.value.instances[0].instanceId;
    if (tree.getInstance(path.objectId!, iid)) return fail(scope, Code.BAD_REQUEST, `instance ${iid} exists`, req);
  } else {
    iid = 0;
    while (tree.getInstance(path.objectId!, iid)) iid++;
    decoded = decodePayload(format.format, req.payload, { objectId: path.objectId, instanceId: iid }, resolveType);
    if (decoded.ok && decoded.value.instances.length === 0) decoded.value.instances.push({ objectId: path.objectId!, instanceId: iid });
  }
  if (!decoded.ok) return fail(scope, decoded.code, decoded.reason, req);
  if (iid > MAX_ID) return fail(scope, Code.BAD_REQUEST, 'bad instance id', req);
  for (const r of decoded.value.records) {
    if (!def.resources.has(r.path.resourceId!)) return fail(scope, Code.BAD_REQUEST, `resource ${r.path.resourceId} not defined`, req);
  }
  for (const [rid, rdef] of def.resources) {
    if (rdef.mandatory && rdef.operations !== 'E' && !decoded.value.records.some((r) => r.path.resourceId === rid))
      return fail(scope, Code.BAD_REQUEST, `mandatory resource ${rid} missing`, req);
  }
  const applied = applyDecoded(tree, decoded.value, ctx.limits);
  if (!applied.ok) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, req);
  if (!createAclFor(tree, ssid, path.objectId!, iid, ctx.limits.maxInstancesPerObject)) {
    tree.deleteInstance(path.objectId!, iid);
    return fail(scope, Code.SERVICE_UNAVAILABLE, 'no room for its Access Control instance', req);
  }
  afterChange(scope, 'create', { objectId: path.objectId, instanceId: iid }, ssid);
  return { code: Code.CREATED, locationPath: [String(path.objectId), String(iid)] };
}

export function deleteInstance(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const tree = scope.ctx.tree();
  if (path.instanceId === undefined || path.resourceId !== undefined) return fail(scope, Code.METHOD_NOT_ALLOWED, 'Delete targets an object instance', req);
  if (FIXED_INSTANCES.has(path.objectId!)) return fail(scope, Code.METHOD_NOT_ALLOWED, `Delete on /${path.objectId} is not allowed`, req);
  if (!tree.getInstance(path.objectId!, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, path.objectId!, path.instanceId, ACL.DELETE);
  if (d) return fail(scope, d.code, d.reason, req);
  tree.deleteInstance(path.objectId!, path.instanceId);
  deleteAclFor(tree, path.objectId!, path.instanceId);
  scope.reporting.attributes.dropInstance(path.objectId!, path.instanceId);
  afterChange(scope, 'delete', path, ssid);
  return { code: Code.DELETED };
}

// The Device Management entry of the Information Reporting interface:
// Observe (GET Observe=0, Core §5.5.1) and Write-Attributes (PUT with the
// attributes as Uri-Query, Core §5.4.4). The observations and the attributes
// themselves live in InformationReporting (reporting/reporting.ts).
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import type { DataType, Path } from '../../model/types';
import { ACL } from '../dm/access-control';
import { parseAttributeQuery } from './attributes';
import { denied, fail, type DmScope } from '../dm/scope';

export function observe(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const r = scope.reporting.observe(req, ssid, [path], false, req.accept);
  return 'reason' in r ? fail(scope, r.code, r.reason, req) : r;
}

export function writeAttributes(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const tree = scope.ctx.tree();
  const def = scope.ctx.objects.def(path.objectId!)!;
  if (path.instanceId !== undefined) {
    if (!tree.getInstance(path.objectId!, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
    const d = denied(scope, ssid, path.objectId!, path.instanceId, ACL.READ);
    if (d) return fail(scope, d.code, d.reason, req);
  }
  let type: DataType | undefined;
  if (path.resourceId !== undefined) {
    const rdef = def.resources.get(path.resourceId);
    if (!rdef) return fail(scope, Code.NOT_FOUND, 'resource not defined', req);
    if (path.resourceInstanceId !== undefined && !rdef.multiple) return fail(scope, Code.NOT_FOUND, 'not a multiple resource', req);
    type = rdef.type;
  }
  const q = parseAttributeQuery(req.query);
  if (!q.ok) return fail(scope, Code.BAD_REQUEST, q.reason, req);
  const r = scope.reporting.writeAttributes(ssid, path, q.value, type);
  if (!r.ok) return fail(scope, 'full' in r ? Code.SERVICE_UNAVAILABLE : Code.BAD_REQUEST, r.reason, req);
  return { code: Code.CHANGED };
}

// Discover (Core §5.4.2, 1.1 depth rules): object → instances and resources;
// instance → resources; resource → its resource instances. Attributes
// attached by this server are shown at the level they were attached; a
// Discover on a resource also shows, on that resource, what it inherits from
// its object and instance (ETS int-260 step 6, int-261 step 5).
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { ContentFormat, encodeLinkFormat, type Link } from '../../formats/index';
import { formatPath } from '../../model/path';
import type { Path } from '../../model/types';
import { utf8Encode } from '../../util/utf8';
import { ACL } from './access-control';
import { attributeLinkAttrs } from '../reporting/attributes';
import { denied, fail, visibleInstances, type DmScope } from './scope';
import { isMultiple } from '../objects/object-tree';

/** Every right: Discover lists the instances a server has any right on. */
const ANY_RIGHT = ACL.READ | ACL.WRITE | ACL.EXECUTE | ACL.DELETE | ACL.CREATE;

export function discover(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  const attributes = scope.reporting.attributes;
  const tree = ctx.tree();
  const oid = path.objectId!;
  const def = ctx.objects.def(oid)!;
  const at = (p: Path) => attributeLinkAttrs(attributes.at(ssid, p));
  if (path.resourceInstanceId !== undefined) return fail(scope, Code.BAD_REQUEST, 'Discover on a resource instance', req);
  if (path.instanceId !== undefined) {
    if (!tree.getInstance(oid, path.instanceId)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
    const d = denied(scope, ssid, oid, path.instanceId, ACL.READ);
    if (d && d.code === Code.NOT_FOUND) return fail(scope, d.code, d.reason, req);
  }
  // A resource exists when it holds a value, its handler serves it live, or (executable) its handler can run it.
  const handler = ctx.objects.handler(oid);
  const present = (iid: number, rid: number) => {
    const rdef = def.resources.get(rid);
    if (!rdef) return false;
    if (rdef.operations === 'E') return ctx.objects.canExecute(oid, iid, rid);
    // A mandatory write-only resource (a firmware Package) exists though it holds no readable value.
    if (rdef.mandatory && rdef.operations === 'W') return true;
    if (tree.get(oid, iid, rid) !== undefined) return true;
    if (!handler?.read || !rdef.operations.includes('R')) return false;
    const live = ctx.objects.read(oid, iid, rid, ssid);
    return live.kind === 'value' || (live.kind === 'pending' && live.last !== undefined);
  };
  if (path.resourceId !== undefined && (!def.resources.has(path.resourceId) || !present(path.instanceId!, path.resourceId)))
    return fail(scope, Code.NOT_FOUND, 'resource not found', req);
  const links: Link[] = [];
  if (path.instanceId === undefined) {
    const attrs: Link['attrs'] = def.version !== '1.0' ? [['ver', def.version]] : [];
    links.push({ target: `/${oid}`, attrs: [...attrs, ...at({ objectId: oid })] });
  }
  const iids = path.instanceId !== undefined ? [path.instanceId] : visibleInstances(scope, oid, ssid, ANY_RIGHT);
  for (const iid of iids) {
    if (path.resourceId === undefined) links.push({ target: `/${oid}/${iid}`, attrs: at({ objectId: oid, instanceId: iid }) });
    const inst = tree.getInstance(oid, iid)!;
    const rids = path.resourceId !== undefined ? [path.resourceId] : [...def.resources.keys()].filter((r) => present(iid, r));
    for (const rid of rids.sort((a, b) => a - b)) {
      const v = inst.get(rid);
      const rp: Path = { objectId: oid, instanceId: iid, resourceId: rid };
      const own =
        path.resourceId !== undefined
          ? attributeLinkAttrs({
              ...attributes.at(ssid, { objectId: oid }),
              ...attributes.at(ssid, { objectId: oid, instanceId: iid }),
              ...attributes.at(ssid, rp),
            })
          : at(rp);
      links.push({ target: formatPath(rp), attrs: [...(isMultiple(v) ? [['dim', String(v.size)] as [string, string]] : []), ...own] });
      if (path.resourceId !== undefined && isMultiple(v)) {
        for (const riid of [...v.keys()].sort((a, b) => a - b)) {
          const rip: Path = { ...rp, resourceInstanceId: riid };
          links.push({ target: formatPath(rip), attrs: at(rip) });
        }
      }
    }
  }
  return { code: Code.CONTENT, contentFormat: ContentFormat.LINK_FORMAT, payload: utf8Encode(encodeLinkFormat(links)) };
}

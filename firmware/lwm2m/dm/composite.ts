// The composite operations on the root (Transport §6.4.6, §6.4.7, §6.5.1):
// Read-Composite and Observe-Composite (FETCH with a list of paths), and
// Write-Composite (iPATCH with SenML records of several instances, all or
// nothing: every record is checked before anything changes).
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { COMPOSITE_FORMATS } from '../../formats/index';
import { formatPath } from '../../model/path';
import type { Path, Value } from '../../model/types';
import { ACL } from './access-control';
import { parsePathList } from './composite-paths';
import { encodeComposite, readComposite } from './read';
import { afterChange, denied, fail, type DmScope } from './scope';
import { isRefusal, refusalCode } from '../objects/object-registry';
import { isMultiple, type ResourceValue } from '../objects/object-tree';
import { rangeProblem } from '../objects/value-checks';
import { formatErrorCode } from '../engine/refusal';

export function fetchComposite(scope: DmScope, req: IncomingRequest, ssid: number): ResponseSpec {
  if (req.path.length !== 0) return fail(scope, Code.METHOD_NOT_ALLOWED, 'FETCH only on the root', req);
  // A deregistration (Observe=1) without the path list: the CoAP layer has already ended the relation.
  if (req.observe === 1 && req.payload.length === 0) return { code: Code.CONTENT };
  const list = parsePathList(req.contentFormat, req.payload, scope.ctx.formats.cbor);
  if (!list.ok) return fail(scope, list.code === 'format' ? Code.UNSUPPORTED_CONTENT_FORMAT : Code.BAD_REQUEST, list.reason, req);
  const format = req.accept ?? req.contentFormat!;
  if (!COMPOSITE_FORMATS.has(format)) return fail(scope, Code.NOT_ACCEPTABLE, `composite answer in format ${format}`, req);
  for (const p of list.paths) {
    if (p.objectId !== undefined && scope.ctx.objects.hidden(p.objectId))
      return fail(scope, Code.UNAUTHORIZED, `object /${p.objectId} is not accessible`, req);
    // Observe-Composite: a path that exists must be readable (ETS int-308 note); Read-Composite leaves it out (int-281).
    if (req.observe === 0 && p.resourceId !== undefined) {
      const rdef = scope.ctx.objects.resource(p.objectId!, p.resourceId);
      if (rdef && !rdef.operations.includes('R') && scope.ctx.objects.supported.has(p.objectId!))
        return fail(scope, Code.METHOD_NOT_ALLOWED, `${formatPath(p)} not readable`, req);
    }
  }
  if (req.observe === 0) {
    const r = scope.reporting.observe(req, ssid, list.paths, true, format);
    return 'reason' in r ? fail(scope, r.code, r.reason, req) : r;
  }
  const enc = encodeComposite(scope, readComposite(scope, list.paths, ssid), format);
  return enc.ok ? enc.spec : fail(scope, enc.code, enc.reason, req);
}

export function writeComposite(scope: DmScope, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  if (req.path.length !== 0) return fail(scope, Code.METHOD_NOT_ALLOWED, 'iPATCH only on the root', req);
  const format = req.contentFormat;
  if (format === undefined) return fail(scope, Code.BAD_REQUEST, 'Content-Format missing', req);
  if (!COMPOSITE_FORMATS.has(format)) return fail(scope, Code.UNSUPPORTED_CONTENT_FORMAT, `composite write in format ${format}`, req);
  const decoded = ctx.formats.decode(format, req.payload, {});
  if (!decoded.ok) return fail(scope, formatErrorCode(decoded.kind), decoded.reason, req);
  const tree = ctx.tree();
  for (const r of decoded.value.records) {
    const p = r.path;
    if (ctx.objects.hidden(p.objectId!)) return fail(scope, Code.UNAUTHORIZED, `object /${p.objectId} is not accessible`, req);
    if (!ctx.objects.supported.has(p.objectId!) || r.unknown) return fail(scope, Code.NOT_FOUND, `${formatPath(p)} not supported`, req);
    if (!tree.getInstance(p.objectId!, p.instanceId!)) return fail(scope, Code.NOT_FOUND, `${formatPath(p)}: instance not found`, req);
    const d = denied(scope, ssid, p.objectId!, p.instanceId!, ACL.WRITE);
    if (d) return fail(scope, d.code, d.reason, req);
    const rdef = ctx.objects.resource(p.objectId!, p.resourceId!);
    if (!rdef) return fail(scope, Code.NOT_FOUND, `${formatPath(p)} not defined`, req);
    if (!rdef.operations.includes('W')) return fail(scope, Code.METHOD_NOT_ALLOWED, `${formatPath(p)} not writable`, req);
    const problem = rangeProblem(rdef, r.value);
    if (problem) return fail(scope, Code.BAD_REQUEST, `${formatPath(p)}: ${problem}`, req);
  }
  // Bound check before any change, so a refused write changes nothing.
  const multiples = new Map<string, Map<number, Value>>();
  for (const r of decoded.value.records) {
    const p = r.path;
    if (p.resourceInstanceId === undefined) continue;
    const k = `${p.objectId}/${p.instanceId}/${p.resourceId}`;
    let m = multiples.get(k);
    if (!m) {
      const cur = tree.get(p.objectId!, p.instanceId!, p.resourceId!);
      m = isMultiple(cur) ? new Map(cur) : new Map();
      multiples.set(k, m);
    }
    m.set(p.resourceInstanceId, r.value);
    if (m.size > ctx.limits.maxResourceInstances) return fail(scope, Code.REQUEST_ENTITY_TOO_LARGE, `too many instances of /${k}`, req);
  }
  // The instances' handlers, in order; the first refusal stops the Write before anything is stored.
  const byInstance = new Map<string, { path: Path; values: Map<number, ResourceValue> }>();
  for (const r of decoded.value.records) {
    const p = r.path;
    const k = `${p.objectId}/${p.instanceId}`;
    let e = byInstance.get(k);
    if (!e) {
      e = { path: { objectId: p.objectId, instanceId: p.instanceId }, values: new Map() };
      byInstance.set(k, e);
    }
    e.values.set(p.resourceId!, p.resourceInstanceId === undefined ? r.value : multiples.get(`${k}/${p.resourceId}`)!);
  }
  const consumed = new Set<string>();
  for (const [k, e] of byInstance) {
    const h = ctx.objects.handler(e.path.objectId!);
    if (!h?.write) continue;
    let outcome;
    try {
      outcome = h.write({ instanceId: e.path.instanceId!, values: e.values, replace: false, ssid });
    } catch (x) {
      ctx.log.error(`objects: write handler of /${k} failed: ${(x as Error).message}`);
      return fail(scope, Code.INTERNAL_SERVER_ERROR, 'write handler failed', req);
    }
    if (isRefusal(outcome)) return fail(scope, refusalCode(outcome), outcome.reason, req);
    if (outcome && 'consumed' in outcome) for (const rid of outcome.consumed) consumed.add(`${k}/${rid}`);
  }
  for (const r of decoded.value.records) {
    const p = r.path;
    if (p.resourceInstanceId !== undefined || consumed.has(`${p.objectId}/${p.instanceId}/${p.resourceId}`)) continue;
    tree.set(p.objectId!, p.instanceId!, p.resourceId!, r.value);
  }
  for (const [k, m] of multiples) {
    if (consumed.has(k)) continue;
    const [o, i, rid] = k.split('/').map(Number);
    tree.set(o, i, rid, m);
  }
  const touched = [...byInstance.values()].map((e) => e.path);
  for (const p of touched) afterChange(scope, 'write', p, ssid);
  return { code: Code.CHANGED };
}

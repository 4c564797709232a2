// Device Management & Service Enablement Interface, client side (Core §5.4,
// Transport §6.4): Read, Write (replace / partial update), Execute, Create,
// Delete, Discover. Codes per Core §7 / Transport Table 6.4-1.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code } from '../coap/message';
import { ContentFormat, decodePayload, encodeLinkFormat, encodePayload, isSupportedFormat, type Link, type ResourceRecord } from '../formats';
import { getObjectDef } from '../model/objects';
import { parsePath } from '../model/path';
import type { Path } from '../model/types';
import type { Logger } from '../platform/ports';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { applyDecoded, collectRecords, type ApplyLimits } from './apply';
import { methodName } from './bootstrap-interface';
import type { DeviceRuntime } from './device-object';
import { OBJ } from './ids';
import { isMultiple, type ObjectTree } from './object-tree';
import { resolveType } from './resolver';

export interface ExecuteContext { ssid: number; path: Path; args: string }
/** Returns the response code (default 2.04). Runs after the checks; must not throw. */
export type ExecuteHandler = (ctx: ExecuteContext) => number | void;

export interface DmContext {
  tree(): ObjectTree;
  log: Logger;
  supportedObjects: ReadonlySet<number>;
  limits: ApplyLimits;
  device: DeviceRuntime;
  /** Executable resources by `${objectId}/${resourceId}`. */
  executables: Map<string, ExecuteHandler>;
  /** After a successful change: resources written, or instances created/deleted. */
  changed(kind: 'write' | 'create' | 'delete', path: Path, ssid: number): void;
}

export class DeviceManagement {
  constructor(private readonly ctx: DmContext) {}

  handle(req: IncomingRequest, ssid: number): ResponseSpec {
    const path = parsePath(req.path);
    if (!path || path.objectId === undefined) return this.fail(Code.BAD_REQUEST, 'bad URI', req);
    // The Security object is never accessible to an LwM2M Server (Core §E.1).
    if (path.objectId === OBJ.SECURITY) return this.fail(Code.UNAUTHORIZED, 'Security object is not accessible', req);
    if (!this.ctx.supportedObjects.has(path.objectId)) return this.fail(Code.NOT_FOUND, `object /${path.objectId} not supported`, req);
    switch (req.method) {
      case Code.GET:
        return req.accept === ContentFormat.LINK_FORMAT ? this.discover(path, req) : this.read(path, req);
      case Code.PUT: return this.write(path, req, ssid, true);
      case Code.POST:
        if (path.resourceId !== undefined && path.resourceInstanceId === undefined && getObjectDef(path.objectId)?.resources.get(path.resourceId)?.operations === 'E')
          return this.execute(path, req, ssid);
        if (path.instanceId === undefined) return this.create(path, req, ssid);
        return this.write(path, req, ssid, false);
      case Code.DELETE: return this.delete(path, req, ssid);
      default: return this.fail(Code.METHOD_NOT_ALLOWED, 'method not allowed', req);
    }
  }

  /** Records readable at `path`, or an error response. Shared by Read and Observe. */
  readRecords(path: Path): { ok: true; records: ResourceRecord[] } | { ok: false; code: number; reason: string } {
    const tree = this.ctx.tree();
    const def = getObjectDef(path.objectId!)!;
    if (path.instanceId !== undefined && !tree.getInstance(path.objectId!, path.instanceId))
      return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
    if (path.resourceId !== undefined) {
      const rdef = def.resources.get(path.resourceId);
      if (!rdef) return { ok: false, code: Code.NOT_FOUND, reason: 'resource not defined' };
      if (!rdef.operations.includes('R')) return { ok: false, code: Code.METHOD_NOT_ALLOWED, reason: 'resource not readable' };
    }
    const readable = (oid: number, rid: number) => getObjectDef(oid)?.resources.get(rid)?.operations.includes('R') ?? false;
    const records = collectRecords(tree, path, readable);
    if (path.objectId === OBJ.DEVICE) this.liveDeviceValues(path, records);
    if (path.resourceId !== undefined && records.length === 0) {
      const v = tree.get(path.objectId!, path.instanceId!, path.resourceId);
      if (!(isMultiple(v) && path.resourceInstanceId === undefined)) return { ok: false, code: Code.NOT_FOUND, reason: 'no value' };
    }
    return { ok: true, records };
  }

  private liveDeviceValues(path: Path, records: ResourceRecord[]): void {
    if (path.instanceId !== undefined && path.instanceId !== 0) return;
    const def = getObjectDef(OBJ.DEVICE)!;
    for (const rid of def.resources.keys()) {
      if (path.resourceId !== undefined && path.resourceId !== rid) continue;
      const v = this.ctx.device.read(rid);
      if (v === undefined) continue;
      const i = records.findIndex((r) => r.path.resourceId === rid);
      const rec = { path: { objectId: OBJ.DEVICE, instanceId: 0, resourceId: rid }, value: v };
      if (i >= 0) records[i] = rec; else records.push(rec);
    }
    records.sort((a, b) => a.path.instanceId! - b.path.instanceId! || a.path.resourceId! - b.path.resourceId!);
  }

  read(path: Path, req: IncomingRequest): ResponseSpec {
    const got = this.readRecords(path);
    if (!got.ok) return this.fail(got.code, got.reason, req);
    return this.encode(path, got.records, req);
  }

  encode(path: Path, records: ResourceRecord[], req: IncomingRequest): ResponseSpec {
    const format = req.accept ?? defaultFormat(path, records);
    if (!isSupportedFormat(format) || format === ContentFormat.LINK_FORMAT) return this.fail(Code.NOT_ACCEPTABLE, `cannot answer in format ${format}`, req);
    const tree = this.ctx.tree();
    const instances = path.instanceId === undefined && path.objectId !== undefined
      ? tree.instanceIds(path.objectId).map((i) => ({ objectId: path.objectId!, instanceId: i })) : undefined;
    const enc = encodePayload(format, path, records, resolveType, instances ? { instances } : undefined);
    if (!enc.ok) return this.fail(enc.code === Code.UNSUPPORTED_CONTENT_FORMAT ? Code.NOT_ACCEPTABLE : enc.code, enc.reason, req);
    return { code: Code.CONTENT, contentFormat: format, payload: enc.value };
  }

  private write(path: Path, req: IncomingRequest, ssid: number, replace: boolean): ResponseSpec {
    const tree = this.ctx.tree();
    if (path.instanceId === undefined) return this.fail(Code.METHOD_NOT_ALLOWED, 'Write on an object', req);
    if (!tree.getInstance(path.objectId!, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    const def = getObjectDef(path.objectId!)!;
    if (path.resourceId !== undefined) {
      const rdef = def.resources.get(path.resourceId);
      if (!rdef) return this.fail(Code.NOT_FOUND, 'resource not defined', req);
      if (!rdef.operations.includes('W')) return this.fail(Code.METHOD_NOT_ALLOWED, 'resource not writable', req);
      if (path.resourceInstanceId !== undefined && !rdef.multiple) return this.fail(Code.NOT_FOUND, 'not a multiple resource', req);
    }
    const format = req.contentFormat ?? (path.resourceId !== undefined ? ContentFormat.TEXT : undefined);
    if (format === undefined) return this.fail(Code.BAD_REQUEST, 'Content-Format missing', req);
    if (!isSupportedFormat(format) || format === ContentFormat.LINK_FORMAT) return this.fail(Code.UNSUPPORTED_CONTENT_FORMAT, `content format ${format}`, req);
    const decoded = decodePayload(format, req.payload, path, resolveType);
    if (!decoded.ok) return this.fail(decoded.code, decoded.reason, req);
    for (const r of decoded.value.records) {
      const rdef = def.resources.get(r.path.resourceId!);
      if (!rdef) return this.fail(Code.NOT_FOUND, `/${path.objectId}/${path.instanceId}/${r.path.resourceId} not defined`, req);
      if (!rdef.operations.includes('W')) return this.fail(Code.METHOD_NOT_ALLOWED, `/${path.objectId}/${path.instanceId}/${r.path.resourceId} not writable`, req);
    }
    // Device /3/0/13 moves the clock instead of storing a value.
    const records = decoded.value.records.filter((r) => !(path.objectId === OBJ.DEVICE && this.ctx.device.write(r.path.resourceId!, r.value)));
    let applied;
    if (path.resourceInstanceId !== undefined) {
      // Resource-instance write updates that one instance of a multiple resource.
      const cur = tree.get(path.objectId!, path.instanceId, path.resourceId!);
      const m = isMultiple(cur) ? cur : new Map();
      for (const r of records) m.set(r.path.resourceInstanceId!, r.value);
      tree.set(path.objectId!, path.instanceId, path.resourceId!, m);
      applied = { ok: true as const };
    } else if (replace && path.resourceId === undefined) {
      // Replace on an instance: writable resources not in the payload go away,
      // read-only ones (not the server's to set) stay.
      const inst = tree.getInstance(path.objectId!, path.instanceId)!;
      const snapshot = new Map(inst);
      for (const rid of [...inst.keys()]) if (def.resources.get(rid)?.operations.includes('W')) inst.delete(rid);
      applied = applyDecoded(tree, { ...decoded.value, records }, this.ctx.limits);
      if (!applied.ok) { inst.clear(); for (const [k, v] of snapshot) inst.set(k, v); }
    } else if (!replace && path.resourceId !== undefined) {
      // Partial update of a multiple resource (POST /o/i/r): merge instances.
      const cur = tree.get(path.objectId!, path.instanceId, path.resourceId);
      const m = isMultiple(cur) ? new Map(cur) : new Map();
      for (const r of records) if (r.path.resourceInstanceId !== undefined) m.set(r.path.resourceInstanceId, r.value);
      if (m.size > this.ctx.limits.maxResourceInstances) return this.fail(Code.REQUEST_ENTITY_TOO_LARGE, 'too many resource instances', req);
      const single = records.find((r) => r.path.resourceInstanceId === undefined);
      tree.set(path.objectId!, path.instanceId, path.resourceId, single ? single.value : m);
      applied = { ok: true as const };
    } else {
      applied = applyDecoded(tree, { ...decoded.value, records }, this.ctx.limits);
    }
    if (!applied.ok) return this.fail(Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, req);
    this.ctx.changed('write', path, ssid);
    return { code: Code.CHANGED };
  }

  private execute(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    if (!tree.getInstance(path.objectId!, path.instanceId!)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    const handler = this.ctx.executables.get(`${path.objectId}/${path.resourceId}`);
    if (!handler) return this.fail(Code.METHOD_NOT_ALLOWED, 'nothing to execute', req);
    const args = utf8Decode(req.payload);
    if (!validExecuteArgs(args)) return this.fail(Code.BAD_REQUEST, 'bad execute arguments', req);
    this.ctx.log.info(`dm: execute /${req.path.join('/')} by ssid=${ssid}`);
    return { code: handler({ ssid, path, args }) ?? Code.CHANGED };
  }

  private create(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    const def = getObjectDef(path.objectId!)!;
    if (path.objectId === OBJ.DEVICE || path.objectId === OBJ.SERVER)
      return this.fail(Code.METHOD_NOT_ALLOWED, `Create on /${path.objectId} is not allowed`, req);
    if (!def.multiple && tree.instanceIds(path.objectId!).length > 0) return this.fail(Code.BAD_REQUEST, 'single-instance object already has an instance', req);
    const format = req.contentFormat;
    if (format === undefined) return this.fail(Code.BAD_REQUEST, 'Content-Format missing', req);
    if (!isSupportedFormat(format) || format === ContentFormat.LINK_FORMAT) return this.fail(Code.UNSUPPORTED_CONTENT_FORMAT, `content format ${format}`, req);
    // The payload names the new instance (server-chosen id) or only resources
    // (client-chosen id): decode at object level first, then at instance level.
    let decoded = decodePayload(format, req.payload, path, resolveType);
    let iid: number;
    if (decoded.ok && decoded.value.instances.length === 1) {
      iid = decoded.value.instances[0].instanceId;
      if (tree.getInstance(path.objectId!, iid)) return this.fail(Code.BAD_REQUEST, `instance ${iid} exists`, req);
    } else {
      iid = 0;
      while (tree.getInstance(path.objectId!, iid)) iid++;
      decoded = decodePayload(format, req.payload, { objectId: path.objectId, instanceId: iid }, resolveType);
      if (decoded.ok && decoded.value.instances.length === 0) decoded.value.instances.push({ objectId: path.objectId!, instanceId: iid });
    }
    if (!decoded.ok) return this.fail(decoded.code, decoded.reason, req);
    if (iid > 65534) return this.fail(Code.BAD_REQUEST, 'bad instance id', req);
    for (const r of decoded.value.records) {
      const rdef = def.resources.get(r.path.resourceId!);
      if (!rdef) return this.fail(Code.BAD_REQUEST, `resource ${r.path.resourceId} not defined`, req);
    }
    for (const [rid, rdef] of def.resources) {
      if (rdef.mandatory && rdef.operations !== 'E' && !decoded.value.records.some((r) => r.path.resourceId === rid))
        return this.fail(Code.BAD_REQUEST, `mandatory resource ${rid} missing`, req);
    }
    const applied = applyDecoded(tree, decoded.value, this.ctx.limits);
    if (!applied.ok) return this.fail(Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, req);
    this.ctx.changed('create', { objectId: path.objectId, instanceId: iid }, ssid);
    return { code: Code.CREATED, locationPath: [String(path.objectId), String(iid)] };
  }

  private delete(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    if (path.instanceId === undefined || path.resourceId !== undefined) return this.fail(Code.METHOD_NOT_ALLOWED, 'Delete targets an object instance', req);
    if (path.objectId === OBJ.DEVICE || path.objectId === OBJ.SERVER) return this.fail(Code.METHOD_NOT_ALLOWED, `Delete on /${path.objectId} is not allowed`, req);
    if (!tree.deleteInstance(path.objectId!, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    this.ctx.changed('delete', path, ssid);
    return { code: Code.DELETED };
  }

  private discover(path: Path, req: IncomingRequest): ResponseSpec {
    const tree = this.ctx.tree();
    const oid = path.objectId!;
    const def = getObjectDef(oid)!;
    if (path.resourceInstanceId !== undefined) return this.fail(Code.BAD_REQUEST, 'Discover on a resource instance', req);
    if (path.instanceId !== undefined && !tree.getInstance(oid, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    if (path.resourceId !== undefined && (!def.resources.has(path.resourceId) || tree.get(oid, path.instanceId!, path.resourceId) === undefined && this.ctx.device.read(path.resourceId) === undefined))
      return this.fail(Code.NOT_FOUND, 'resource not found', req);
    const links: Link[] = [];
    if (path.instanceId === undefined) links.push({ target: `/${oid}`, attrs: def.version !== '1.0' ? [['ver', def.version]] : [] });
    const iids = path.instanceId !== undefined ? [path.instanceId] : tree.instanceIds(oid);
    for (const iid of iids) {
      if (path.resourceId === undefined) links.push({ target: `/${oid}/${iid}`, attrs: [] });
      const inst = tree.getInstance(oid, iid)!;
      const rids = path.resourceId !== undefined ? [path.resourceId] : [...def.resources.keys()].filter((r) => inst.has(r) || (oid === OBJ.DEVICE && this.ctx.device.read(r) !== undefined));
      for (const rid of rids.sort((a, b) => a - b)) {
        const v = inst.get(rid);
        links.push({ target: `/${oid}/${iid}/${rid}`, attrs: isMultiple(v) ? [['dim', String(v.size)]] : [] });
      }
    }
    return { code: Code.CONTENT, contentFormat: ContentFormat.LINK_FORMAT, payload: utf8Encode(encodeLinkFormat(links)) };
  }

  fail(code: number, reason: string, req: IncomingRequest): ResponseSpec {
    this.ctx.log.warn(`dm: ${methodName(req.method)} /${req.path.join('/')} → ${code >> 5}.${String(code & 31).padStart(2, '0')} ${reason}`);
    return { code, contentFormat: ContentFormat.TEXT, payload: utf8Encode(reason) };
  }
}

function defaultFormat(path: Path, records: ResourceRecord[]): number {
  if (path.resourceId !== undefined && (path.resourceInstanceId !== undefined || (records.length === 1 && records[0].path.resourceInstanceId === undefined)))
    return records[0]?.value instanceof Uint8Array ? ContentFormat.OPAQUE : ContentFormat.TEXT;
  return ContentFormat.TLV;
}

// Core §5.4.5: arguments are a comma-separated list of digit or digit='text'.
function validExecuteArgs(s: string): boolean {
  return s === '' || /^\d(='[^']*')?(,\d(='[^']*')?)*$/.test(s);
}

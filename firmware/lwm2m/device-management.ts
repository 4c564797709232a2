// Device Management & Service Enablement Interface, client side (Core §5.4,
// Transport §6.4): Read, Write (replace / partial update), Execute, Create,
// Delete, Discover, Write-Attributes, Read-Composite, Write-Composite; and the
// entry of the Information Reporting interface (Observe, Observe-Composite).
// Access Control (Core §7.3.3) is checked here when more than one server exists.
// Codes per Core §7 / Transport Table 6.4-1.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code } from '../coap/message';
import { ContentFormat, decodePayload, encodeLinkFormat, encodePayload, isSupportedFormat, type Link, type ResourceRecord } from '../formats/index';
import { getObjectDef } from '../model/objects';
import { formatPath, parsePath } from '../model/path';
import type { Path, Value } from '../model/types';
import type { Logger, Timers } from '../platform/ports';
import { utf8Decode, utf8Encode } from '../util/utf8';
import { ACL, createAclFor, deleteAclFor, mayCreate, rightsOn } from './access-control';
import { applyDecoded, collectRecords, type ApplyLimits } from './apply';
import { AttributeStore, attributeLinkAttrs, parseAttributeQuery } from './attributes';
import { parsePathList } from './composite';
import type { DeviceRuntime } from './device-object';
import { bootstrapAccount } from './accounts';
import { DEV, OBJ, SRV } from './ids';
import { isMultiple, type ObjectTree } from './object-tree';
import { InformationReporting, type EncodeResult, type ReadResult, type ReportingOptions } from './reporting';
import { refusal } from './refusal';
import { resolveType } from './resolver';

export interface ExecuteContext { ssid: number; path: Path; args: string }
/** What an Execute did: its response code (default 2.04), and what runs once that response is on the wire. */
export interface ExecuteResult { code?: number; afterResponse?: () => void }
/** Runs after the checks (a bare number is the response code); must not throw. */
export type ExecuteHandler = (ctx: ExecuteContext) => ExecuteResult | number | void;

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
  /** Timers for notification pacing; without them observations are refused (4.05). */
  timers?: Timers;
  reporting?: ReportingOptions;
  /** Bound on (server, path) attribute sets; default 64. */
  maxAttributeSets?: number;
}

type Failure = { ok: false; code: number; reason: string };

const COMPOSITE_FORMATS: ReadonlySet<number> = new Set([ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR]);
/** Objects whose instances an LwM2M Server may not Create or Delete (the Bootstrap-Server and the client own them). */
const FIXED_INSTANCES: ReadonlySet<number> = new Set([OBJ.SERVER, OBJ.ACCESS_CONTROL, OBJ.DEVICE]);

export class DeviceManagement {
  readonly attributes: AttributeStore;
  readonly reporting: InformationReporting | undefined;

  constructor(private readonly ctx: DmContext) {
    this.attributes = new AttributeStore(ctx.maxAttributeSets ?? 64);
    if (ctx.timers) {
      this.reporting = new InformationReporting({
        timers: ctx.timers, log: ctx.log, tree: () => ctx.tree(), attributes: this.attributes,
        read: (ssid, paths, composite) => this.readFor(ssid, paths, composite),
        encode: (paths, composite, records, format) => this.encodeFor(paths, composite, records, format),
      }, ctx.reporting);
    }
  }

  handle(req: IncomingRequest, ssid: number): ResponseSpec {
    // Composite operations address the root (Transport §6.4.x): FETCH and iPATCH.
    if (req.method === Code.FETCH) return this.fetch(req, ssid);
    if (req.method === Code.IPATCH) return this.writeComposite(req, ssid);
    const path = parsePath(req.path);
    if (!path || path.objectId === undefined) return this.fail(path ? Code.METHOD_NOT_ALLOWED : Code.BAD_REQUEST, path ? 'operation on the root' : 'bad URI', req);
    // The Security object is never accessible to an LwM2M Server (Core §E.1).
    if (path.objectId === OBJ.SECURITY) return this.fail(Code.UNAUTHORIZED, 'Security object is not accessible', req);
    if (!this.ctx.supportedObjects.has(path.objectId)) return this.fail(Code.NOT_FOUND, `object /${path.objectId} not supported`, req);
    switch (req.method) {
      case Code.GET:
        if (req.accept === ContentFormat.LINK_FORMAT) return this.discover(path, req, ssid);
        if (req.observe === 0) return this.observe(path, req, ssid);
        return this.read(path, req, ssid);
      case Code.PUT:
        // Write-Attributes: Uri-Query only, no payload (Transport §6.4.4).
        if (req.payload.length === 0 && req.query.length > 0 && req.contentFormat === undefined) return this.writeAttributes(path, req, ssid);
        return this.write(path, req, ssid, true);
      case Code.POST:
        if (path.resourceId !== undefined && path.resourceInstanceId === undefined && getObjectDef(path.objectId)?.resources.get(path.resourceId)?.operations === 'E')
          return this.execute(path, req, ssid);
        if (path.instanceId === undefined) return this.create(path, req, ssid);
        return this.write(path, req, ssid, false);
      case Code.DELETE: return this.delete(path, req, ssid);
      default: return this.fail(Code.METHOD_NOT_ALLOWED, 'method not allowed', req);
    }
  }

  // ------------------------------------------------------------ access

  /** undefined when allowed; else 4.04 (instance invisible to this server) or 4.01 (right missing). */
  private denied(ssid: number, oid: number, iid: number, bit: number): Failure | undefined {
    const r = rightsOn(this.ctx.tree(), ssid, oid, iid);
    if (r === 0) return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
    if ((r & bit) === 0) return { ok: false, code: Code.UNAUTHORIZED, reason: 'access denied by ACL' };
    return undefined;
  }

  private visibleInstances(oid: number, ssid: number, bit: number = ACL.READ): number[] {
    const tree = this.ctx.tree();
    return tree.instanceIds(oid).filter((iid) => (rightsOn(tree, ssid, oid, iid) & bit) !== 0);
  }

  // -------------------------------------------------------------- read

  /** Records readable at `path` by `ssid`, or an error. Shared by Read, Observe, Read-Composite and Send. */
  readRecords(path: Path, ssid?: number): ReadResult {
    const tree = this.ctx.tree();
    if (path.objectId === undefined) {
      // Root (Read-Composite "/"): every readable object, never Security.
      const records: ResourceRecord[] = [];
      for (const oid of [...this.ctx.supportedObjects].sort((a, b) => a - b)) {
        if (oid === OBJ.SECURITY) continue;
        const got = this.readRecords({ objectId: oid }, ssid);
        if (got.ok) records.push(...got.records);
      }
      return { ok: true, records };
    }
    if (path.objectId === OBJ.SECURITY) return { ok: false, code: Code.UNAUTHORIZED, reason: 'Security object is not accessible' };
    const def = getObjectDef(path.objectId);
    if (!def || !this.ctx.supportedObjects.has(path.objectId)) return { ok: false, code: Code.NOT_FOUND, reason: 'object not supported' };
    if (path.instanceId !== undefined && !tree.getInstance(path.objectId, path.instanceId))
      return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
    if (path.instanceId !== undefined && ssid !== undefined) {
      const d = this.denied(ssid, path.objectId, path.instanceId, ACL.READ);
      if (d) return d;
    }
    if (path.resourceId !== undefined) {
      const rdef = def.resources.get(path.resourceId);
      if (!rdef) return { ok: false, code: Code.NOT_FOUND, reason: 'resource not defined' };
      if (!rdef.operations.includes('R')) return { ok: false, code: Code.METHOD_NOT_ALLOWED, reason: 'resource not readable' };
    }
    const readable = (oid: number, rid: number) => getObjectDef(oid)?.resources.get(rid)?.operations.includes('R') ?? false;
    let records: ResourceRecord[];
    if (path.instanceId === undefined && ssid !== undefined) {
      records = [];
      for (const iid of this.visibleInstances(path.objectId, ssid)) records.push(...collectRecords(tree, { objectId: path.objectId, instanceId: iid }, readable));
    } else {
      records = collectRecords(tree, path, readable);
    }
    if (path.objectId === OBJ.DEVICE) this.liveDeviceValues(path, records);
    if (path.resourceId !== undefined && records.length === 0) {
      const v = tree.get(path.objectId, path.instanceId!, path.resourceId);
      if (!(isMultiple(v) && path.resourceInstanceId === undefined)) return { ok: false, code: Code.NOT_FOUND, reason: 'no value' };
    }
    return { ok: true, records };
  }

  private liveDeviceValues(path: Path, records: ResourceRecord[]): void {
    if (path.instanceId !== undefined && path.instanceId !== 0) return;
    if (!this.ctx.tree().getInstance(OBJ.DEVICE, 0)) return;
    if (path.resourceInstanceId !== undefined) return;
    const def = getObjectDef(OBJ.DEVICE)!;
    for (const rid of def.resources.keys()) {
      if (path.resourceId !== undefined && path.resourceId !== rid) continue;
      const v = this.ctx.device.read(rid);
      if (v === undefined) continue;
      const i = records.findIndex((r) => r.path.objectId === OBJ.DEVICE && r.path.resourceId === rid);
      const rec = { path: { objectId: OBJ.DEVICE, instanceId: 0, resourceId: rid }, value: v };
      if (i >= 0) records[i] = rec; else records.push(rec);
    }
    records.sort((a, b) => a.path.objectId! - b.path.objectId! || a.path.instanceId! - b.path.instanceId! || a.path.resourceId! - b.path.resourceId!
      || (a.path.resourceInstanceId ?? -1) - (b.path.resourceInstanceId ?? -1));
  }

  read(path: Path, req: IncomingRequest, ssid?: number): ResponseSpec {
    const got = this.readRecords(path, ssid);
    if (!got.ok) return this.fail(got.code, got.reason, req);
    const enc = this.encodeRecords(path, got.records, req.accept, ssid);
    return enc.ok ? enc.spec : this.fail(enc.code, enc.reason, req);
  }

  encodeRecords(path: Path, records: ResourceRecord[], accept: number | undefined, ssid?: number): EncodeResult {
    const format = accept ?? defaultFormat(path, records);
    if (!isSupportedFormat(format) || format === ContentFormat.LINK_FORMAT) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `cannot answer in format ${format}` };
    const tree = this.ctx.tree();
    const instances = path.instanceId === undefined && path.objectId !== undefined
      ? (ssid !== undefined ? this.visibleInstances(path.objectId, ssid) : tree.instanceIds(path.objectId)).map((i) => ({ objectId: path.objectId!, instanceId: i }))
      : undefined;
    const enc = encodePayload(format, path, records, resolveType, instances ? { instances } : undefined);
    if (!enc.ok) return { ok: false, code: enc.code === Code.UNSUPPORTED_CONTENT_FORMAT || enc.code === Code.BAD_REQUEST ? Code.NOT_ACCEPTABLE : enc.code, reason: enc.reason };
    return { ok: true, spec: { code: Code.CONTENT, contentFormat: format, payload: enc.value } };
  }

  /** Reporting: current records of an observation. */
  private readFor(ssid: number, paths: Path[], composite: boolean): ReadResult {
    if (!composite) return this.readRecords(paths[0], ssid);
    return { ok: true, records: this.readComposite(paths, ssid) };
  }

  private encodeFor(paths: Path[], composite: boolean, records: ResourceRecord[], format: number | undefined): EncodeResult {
    if (!composite) return this.encodeRecords(paths[0], records, format);
    return this.encodeComposite(records, format ?? ContentFormat.SENML_CBOR);
  }

  /** Read-Composite: what each path yields; a path that is absent or not readable is left out (partial presence). */
  readComposite(paths: Path[], ssid?: number): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const p of paths) {
      const got = this.readRecords(p, ssid);
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

  encodeComposite(records: ResourceRecord[], format: number): EncodeResult {
    if (!COMPOSITE_FORMATS.has(format)) return { ok: false, code: Code.NOT_ACCEPTABLE, reason: `composite answer in format ${format}` };
    const enc = encodePayload(format, {}, records, resolveType);
    if (!enc.ok) return { ok: false, code: enc.code, reason: enc.reason };
    return { ok: true, spec: { code: Code.CONTENT, contentFormat: format, payload: enc.value } };
  }

  // Read-Composite and Observe-Composite (FETCH on the root, Transport §6.4.6 / §6.5.1).
  private fetch(req: IncomingRequest, ssid: number): ResponseSpec {
    if (req.path.length !== 0) return this.fail(Code.METHOD_NOT_ALLOWED, 'FETCH only on the root', req);
    // A deregistration (Observe=1) without the path list: the CoAP layer has already ended the relation.
    if (req.observe === 1 && req.payload.length === 0) return { code: Code.CONTENT };
    const list = parsePathList(req.contentFormat, req.payload);
    if (!list.ok) return this.fail(list.code === 'format' ? Code.UNSUPPORTED_CONTENT_FORMAT : Code.BAD_REQUEST, list.reason, req);
    const format = req.accept ?? req.contentFormat!;
    if (!COMPOSITE_FORMATS.has(format)) return this.fail(Code.NOT_ACCEPTABLE, `composite answer in format ${format}`, req);
    for (const p of list.paths) {
      if (p.objectId === OBJ.SECURITY) return this.fail(Code.UNAUTHORIZED, 'Security object is not accessible', req);
      // Observe-Composite: a path that exists must be readable (ETS int-308 note); Read-Composite leaves it out (int-281).
      if (req.observe === 0 && p.resourceId !== undefined) {
        const rdef = getObjectDef(p.objectId!)?.resources.get(p.resourceId);
        if (rdef && !rdef.operations.includes('R') && this.ctx.supportedObjects.has(p.objectId!)) return this.fail(Code.METHOD_NOT_ALLOWED, `${formatPath(p)} not readable`, req);
      }
    }
    if (req.observe === 0) {
      if (!this.reporting) return this.fail(Code.METHOD_NOT_ALLOWED, 'observe not available', req);
      const r = this.reporting.observe(req, ssid, list.paths, true, format);
      return 'reason' in r ? this.fail(r.code, r.reason, req) : r;
    }
    const enc = this.encodeComposite(this.readComposite(list.paths, ssid), format);
    return enc.ok ? enc.spec : this.fail(enc.code, enc.reason, req);
  }

  // ------------------------------------------------------------ observe

  private observe(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    if (!this.reporting) return this.read(path, req, ssid);
    const r = this.reporting.observe(req, ssid, [path], false, req.accept);
    return 'reason' in r ? this.fail(r.code, r.reason, req) : r;
  }

  private writeAttributes(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    const def = getObjectDef(path.objectId!)!;
    if (path.instanceId !== undefined) {
      if (!tree.getInstance(path.objectId!, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
      const d = this.denied(ssid, path.objectId!, path.instanceId, ACL.READ);
      if (d) return this.fail(d.code, d.reason, req);
    }
    let type;
    if (path.resourceId !== undefined) {
      const rdef = def.resources.get(path.resourceId);
      if (!rdef) return this.fail(Code.NOT_FOUND, 'resource not defined', req);
      if (path.resourceInstanceId !== undefined && !rdef.multiple) return this.fail(Code.NOT_FOUND, 'not a multiple resource', req);
      type = rdef.type;
    }
    const q = parseAttributeQuery(req.query);
    if (!q.ok) return this.fail(Code.BAD_REQUEST, q.reason, req);
    const r = this.attributes.apply(ssid, path, q.value, type);
    if (!r.ok) return this.fail('full' in r ? Code.SERVICE_UNAVAILABLE : Code.BAD_REQUEST, r.reason, req);
    this.reporting?.attributesChanged(ssid);
    return { code: Code.CHANGED };
  }

  // ------------------------------------------------------------- write

  private write(path: Path, req: IncomingRequest, ssid: number, replace: boolean): ResponseSpec {
    const tree = this.ctx.tree();
    if (path.instanceId === undefined) return this.fail(Code.METHOD_NOT_ALLOWED, 'Write on an object', req);
    if (!tree.getInstance(path.objectId!, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    const d = this.denied(ssid, path.objectId!, path.instanceId, ACL.WRITE);
    if (d) return this.fail(d.code, d.reason, req);
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
      if (!m.has(path.resourceInstanceId) && m.size >= this.ctx.limits.maxResourceInstances) return this.fail(Code.REQUEST_ENTITY_TOO_LARGE, 'too many resource instances', req);
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
    this.afterChange('write', path, ssid);
    return { code: Code.CHANGED };
  }

  // Write-Composite (iPATCH on the root, Transport §6.4.7): all or nothing.
  private writeComposite(req: IncomingRequest, ssid: number): ResponseSpec {
    if (req.path.length !== 0) return this.fail(Code.METHOD_NOT_ALLOWED, 'iPATCH only on the root', req);
    const format = req.contentFormat;
    if (format === undefined) return this.fail(Code.BAD_REQUEST, 'Content-Format missing', req);
    if (!COMPOSITE_FORMATS.has(format)) return this.fail(Code.UNSUPPORTED_CONTENT_FORMAT, `composite write in format ${format}`, req);
    const decoded = decodePayload(format, req.payload, {}, resolveType);
    if (!decoded.ok) return this.fail(decoded.code, decoded.reason, req);
    const tree = this.ctx.tree();
    for (const r of decoded.value.records) {
      const p = r.path;
      if (p.objectId === OBJ.SECURITY) return this.fail(Code.UNAUTHORIZED, 'Security object is not accessible', req);
      if (!this.ctx.supportedObjects.has(p.objectId!) || r.unknown) return this.fail(Code.NOT_FOUND, `${formatPath(p)} not supported`, req);
      if (!tree.getInstance(p.objectId!, p.instanceId!)) return this.fail(Code.NOT_FOUND, `${formatPath(p)}: instance not found`, req);
      const d = this.denied(ssid, p.objectId!, p.instanceId!, ACL.WRITE);
      if (d) return this.fail(d.code, d.reason, req);
      const rdef = getObjectDef(p.objectId!)?.resources.get(p.resourceId!);
      if (!rdef) return this.fail(Code.NOT_FOUND, `${formatPath(p)} not defined`, req);
      if (!rdef.operations.includes('W')) return this.fail(Code.METHOD_NOT_ALLOWED, `${formatPath(p)} not writable`, req);
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
      if (m.size > this.ctx.limits.maxResourceInstances) return this.fail(Code.REQUEST_ENTITY_TOO_LARGE, `too many instances of /${k}`, req);
    }
    const touched = new Map<string, Path>();
    for (const r of decoded.value.records) {
      const p = r.path;
      touched.set(`${p.objectId}/${p.instanceId}`, { objectId: p.objectId, instanceId: p.instanceId });
      if (p.resourceInstanceId !== undefined) continue;
      if (p.objectId === OBJ.DEVICE && this.ctx.device.write(p.resourceId!, r.value)) continue;
      tree.set(p.objectId!, p.instanceId!, p.resourceId!, r.value);
    }
    for (const [k, m] of multiples) {
      const [o, i, rid] = k.split('/').map(Number);
      tree.set(o, i, rid, m);
    }
    for (const p of touched.values()) this.afterChange('write', p, ssid);
    return { code: Code.CHANGED };
  }

  // ----------------------------------------------------------- execute

  private execute(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    if (!tree.getInstance(path.objectId!, path.instanceId!)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    const d = this.denied(ssid, path.objectId!, path.instanceId!, ACL.EXECUTE);
    if (d) return this.fail(d.code, d.reason, req);
    const handler = this.ctx.executables.get(`${path.objectId}/${path.resourceId}`);
    if (!handler) return this.fail(Code.METHOD_NOT_ALLOWED, 'nothing to execute', req);
    const args = utf8Decode(req.payload);
    if (!validExecuteArgs(args)) return this.fail(Code.BAD_REQUEST, 'bad execute arguments', req);
    this.ctx.log.info(`dm: execute /${req.path.join('/')} by ssid=${ssid}`);
    let result: ExecuteResult | number | void;
    try { result = handler({ ssid, path, args }); } catch (e) {
      this.ctx.log.warn(`dm: execute handler failed: ${(e as Error).message}`);
      return this.fail(Code.INTERNAL_SERVER_ERROR, 'execute failed', req);
    }
    if (typeof result === 'number') return { code: result };
    return { code: result?.code ?? Code.CHANGED, sent: result?.afterResponse };
  }

  // ------------------------------------------------------ create, delete

  private create(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    const def = getObjectDef(path.objectId!)!;
    if (FIXED_INSTANCES.has(path.objectId!)) return this.fail(Code.METHOD_NOT_ALLOWED, `Create on /${path.objectId} is not allowed`, req);
    if (!mayCreate(tree, ssid, path.objectId!)) return this.fail(Code.UNAUTHORIZED, 'no Create right', req);
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
    if (!createAclFor(tree, ssid, path.objectId!, iid, this.ctx.limits.maxInstancesPerObject)) {
      tree.deleteInstance(path.objectId!, iid);
      return this.fail(Code.SERVICE_UNAVAILABLE, 'no room for its Access Control instance', req);
    }
    this.afterChange('create', { objectId: path.objectId, instanceId: iid }, ssid);
    return { code: Code.CREATED, locationPath: [String(path.objectId), String(iid)] };
  }

  private delete(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    if (path.instanceId === undefined || path.resourceId !== undefined) return this.fail(Code.METHOD_NOT_ALLOWED, 'Delete targets an object instance', req);
    if (FIXED_INSTANCES.has(path.objectId!)) return this.fail(Code.METHOD_NOT_ALLOWED, `Delete on /${path.objectId} is not allowed`, req);
    if (!tree.getInstance(path.objectId!, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
    const d = this.denied(ssid, path.objectId!, path.instanceId, ACL.DELETE);
    if (d) return this.fail(d.code, d.reason, req);
    tree.deleteInstance(path.objectId!, path.instanceId);
    deleteAclFor(tree, path.objectId!, path.instanceId);
    this.attributes.dropInstance(path.objectId!, path.instanceId);
    this.afterChange('delete', path, ssid);
    return { code: Code.DELETED };
  }

  private afterChange(kind: 'write' | 'create' | 'delete', path: Path, ssid: number): void {
    this.ctx.changed(kind, path, ssid);
    this.reporting?.changed(path);
  }

  // ---------------------------------------------------------- discover

  // Discover (Core §5.4.2, 1.1 depth rules): object → instances and resources;
  // instance → resources; resource → its resource instances. Attributes
  // attached by this server are shown at the level they were attached; a
  // Discover on a resource also shows, on that resource, what it inherits from
  // its object and instance (ETS int-260 step 6, int-261 step 5).
  private discover(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const tree = this.ctx.tree();
    const oid = path.objectId!;
    const def = getObjectDef(oid)!;
    const at = (p: Path) => attributeLinkAttrs(this.attributes.at(ssid, p));
    if (path.resourceInstanceId !== undefined) return this.fail(Code.BAD_REQUEST, 'Discover on a resource instance', req);
    if (path.instanceId !== undefined) {
      if (!tree.getInstance(oid, path.instanceId)) return this.fail(Code.NOT_FOUND, 'instance not found', req);
      const d = this.denied(ssid, oid, path.instanceId, ACL.READ);
      if (d && d.code === Code.NOT_FOUND) return this.fail(d.code, d.reason, req);
    }
    const present = (iid: number, rid: number) => tree.get(oid, iid, rid) !== undefined || (oid === OBJ.DEVICE && iid === 0 && this.ctx.device.read(rid) !== undefined)
      || (def.resources.get(rid)?.operations === 'E' && this.canExecute(oid, rid));
    if (path.resourceId !== undefined && (!def.resources.has(path.resourceId) || !present(path.instanceId!, path.resourceId)))
      return this.fail(Code.NOT_FOUND, 'resource not found', req);
    const links: Link[] = [];
    if (path.instanceId === undefined) {
      const attrs: Link['attrs'] = def.version !== '1.0' ? [['ver', def.version]] : [];
      links.push({ target: `/${oid}`, attrs: [...attrs, ...at({ objectId: oid })] });
    }
    const iids = path.instanceId !== undefined ? [path.instanceId] : this.visibleInstances(oid, ssid, 31);
    for (const iid of iids) {
      if (path.resourceId === undefined) links.push({ target: `/${oid}/${iid}`, attrs: at({ objectId: oid, instanceId: iid }) });
      const inst = tree.getInstance(oid, iid)!;
      const rids = path.resourceId !== undefined ? [path.resourceId] : [...def.resources.keys()].filter((r) => present(iid, r));
      for (const rid of rids.sort((a, b) => a - b)) {
        const v = inst.get(rid);
        const rp: Path = { objectId: oid, instanceId: iid, resourceId: rid };
        const own = path.resourceId !== undefined
          ? attributeLinkAttrs({ ...this.attributes.at(ssid, { objectId: oid }), ...this.attributes.at(ssid, { objectId: oid, instanceId: iid }), ...this.attributes.at(ssid, rp) })
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

  /** An executable resource exists (Discover lists it, ETS int-260) when the client can run it. */
  private canExecute(oid: number, rid: number): boolean {
    if (!this.ctx.executables.has(`${oid}/${rid}`)) return false;
    if (oid === OBJ.DEVICE && rid === DEV.REBOOT) return this.ctx.device.info.reboot !== undefined;
    if (oid === OBJ.DEVICE && rid === DEV.FACTORY_RESET) return this.ctx.device.info.factoryReset !== undefined;
    // Without a Bootstrap-Server Account there is nobody to send the Bootstrap-Request to.
    if (oid === OBJ.SERVER && rid === SRV.BOOTSTRAP_REQUEST_TRIGGER) return bootstrapAccount(this.ctx.tree()) !== undefined;
    return true;
  }

  // -------------------------------------------------------------- send

  /**
   * Body of a Send (Core §5.5.3 / Transport §6.5.4) to `ssid`: the values under
   * `paths` in SenML. Fails when nothing readable is found.
   */
  sendPayload(ssid: number, paths: Path[], format: number): { ok: true; payload: Uint8Array } | Failure {
    for (const p of paths) if (p.objectId === OBJ.SECURITY) return { ok: false, code: Code.UNAUTHORIZED, reason: 'Security object is not sent' };
    const records = this.readComposite(paths, ssid);
    if (records.length === 0) return { ok: false, code: Code.NOT_FOUND, reason: 'nothing to send' };
    const enc = this.encodeComposite(records, format);
    return enc.ok ? { ok: true, payload: enc.spec.payload! } : enc;
  }

  /** The application changed a value: observations covering it are re-evaluated. */
  notifyChanged(path: Path): void {
    this.reporting?.changed(path);
  }

  private fail(code: number, reason: string, req: IncomingRequest): ResponseSpec {
    return refusal(this.ctx.log, 'dm', req, code, reason);
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

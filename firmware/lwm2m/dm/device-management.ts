// Device Management & Service Enablement Interface, client side (Core §5.4,
// Transport §6.4): which operation a request is, and the checks every one
// of them shares; each operation is a file of its own:
//   Read dm/read.ts · Write dm/write.ts · Execute dm/execute.ts ·
//   Create/Delete dm/instances.ts · Discover dm/discover.ts ·
//   Read-/Write-/Observe-Composite dm/composite.ts ·
//   Observe and Write-Attributes reporting/observe.ts (the Information Reporting
//   state itself is InformationReporting's, reporting/reporting.ts).
// Access Control (Core §7.3.3) is checked by each operation (dm/scope.ts).
// Codes per Core §7 / Transport Table 6.4-1.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import { ContentFormat } from '../../formats/index';
import { parsePath } from '../../model/path';
import type { Path } from '../../model/types';
import type { AttributeStore } from '../reporting/attributes';
import { fetchComposite, writeComposite } from './composite';
import { discover } from './discover';
import { execute } from './execute';
import { create, deleteInstance } from './instances';
import { observe, writeAttributes } from '../reporting/observe';
import { encodeComposite, encodeObserved, read, readComposite, readObserved } from './read';
import { denied, fail, type DmContext, type DmScope } from './scope';
import { ACL } from './access-control';
import { write } from './write';
import { InformationReporting, type EncodeResult, type ReadResult, type ReportingHost } from '../reporting/reporting';
import type { ObjectTree } from '../objects/object-tree';
import type { Logger, Timers } from '../../platform/ports';
import type { ResourceRecord } from '../../formats/index';
import type { Refused } from '../engine/request-checks';

export type { DmContext } from './scope';

/** Dispatches DM requests; it is also what the reporting interface reads through (ReportingHost). */
export class DeviceManagement implements ReportingHost {
  readonly reporting: InformationReporting;
  private readonly scope: DmScope;

  constructor(private readonly ctx: DmContext) {
    this.reporting = new InformationReporting(this, ctx.reporting);
    this.scope = { ctx, reporting: this.reporting };
  }

  // ReportingHost: what the observations read and how their notifications are encoded.
  get timers(): Timers {
    return this.ctx.timers;
  }
  get log(): Logger {
    return this.ctx.log;
  }
  tree(): ObjectTree {
    return this.ctx.tree();
  }
  read(ssid: number, paths: Path[], composite: boolean): ReadResult {
    return readObserved(this.scope, ssid, paths, composite);
  }
  encode(paths: Path[], composite: boolean, records: ResourceRecord[], format: number | undefined): EncodeResult {
    return encodeObserved(this.scope, paths, composite, records, format);
  }
  isVolatile(path: Path): boolean {
    return this.ctx.objects.isVolatile(path);
  }
  deferChanges(): boolean {
    return this.ctx.deferChanges?.() ?? false;
  }

  /** The notification attributes the servers attached (held by the reporting interface). */
  get attributes(): AttributeStore {
    return this.reporting.attributes;
  }

  handle(req: IncomingRequest, ssid: number): ResponseSpec | Promise<ResponseSpec> {
    const scope = this.scope;
    // Composite operations address the root (Transport §6.4.6, §6.4.7): FETCH and iPATCH.
    if (req.method === Code.FETCH) return fetchComposite(scope, req, ssid);
    if (req.method === Code.IPATCH) return writeComposite(scope, req, ssid);
    const path = parsePath(req.path);
    if (!path || path.objectId === undefined)
      return fail(scope, path ? Code.METHOD_NOT_ALLOWED : Code.BAD_REQUEST, path ? 'operation on the root' : 'bad URI', req);
    // The Security object is never accessible to an LwM2M Server (Core §E.1).
    if (scope.ctx.objects.hidden(path.objectId)) return fail(scope, Code.UNAUTHORIZED, `object /${path.objectId} is not accessible`, req);
    if (!scope.ctx.objects.supported.has(path.objectId)) return fail(scope, Code.NOT_FOUND, `object /${path.objectId} not supported`, req);
    if (req.block1) return this.streamedPackage(path, req, ssid);
    switch (req.method) {
      case Code.GET:
        if (req.accept === ContentFormat.LINK_FORMAT) return discover(scope, path, req, ssid);
        if (req.observe === 0) return observe(scope, path, req, ssid);
        return read(scope, path, req, ssid);
      case Code.PUT:
        // Write-Attributes: Uri-Query only, no payload (Transport §6.4.4).
        if (req.payload.length === 0 && req.query.length > 0 && req.contentFormat === undefined)
          return writeAttributes(scope, path, req, ssid);
        return write(scope, path, req, ssid, true);
      case Code.POST:
        return this.post(path, req, ssid);
      case Code.DELETE:
        return deleteInstance(scope, path, req, ssid);
      default:
        return fail(scope, Code.METHOD_NOT_ALLOWED, 'method not allowed', req);
    }
  }

  /** One block of a resource whose handler takes Block1 writes block by block (a firmware Package), never reassembled. */
  private streamedPackage(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    const objects = this.ctx.objects;
    const handler = objects.handler(path.objectId!);
    if (
      path.instanceId === undefined ||
      path.resourceId === undefined ||
      path.resourceInstanceId !== undefined ||
      !handler?.writeBlock ||
      !objects.streams(path.objectId!, path.instanceId, path.resourceId)
    ) {
      return fail(this.scope, Code.BAD_REQUEST, 'streamed body for a resource that takes none', req);
    }
    if (!this.ctx.tree().getInstance(path.objectId!, path.instanceId)) return fail(this.scope, Code.NOT_FOUND, 'instance not found', req);
    const d = denied(this.scope, ssid, path.objectId!, path.instanceId, ACL.WRITE);
    if (d) return fail(this.scope, d.code, d.reason, req);
    return handler.writeBlock(req);
  }

  /** Whether a Block1 body to `path` streams to its object's handler (the CoAP layer asks before reassembling). */
  streamsBody(path: string[]): boolean {
    const p = parsePath(path);
    return (
      p?.resourceId !== undefined &&
      p.resourceInstanceId === undefined &&
      this.ctx.objects.supported.has(p.objectId!) &&
      this.ctx.objects.streams(p.objectId!, p.instanceId!, p.resourceId)
    );
  }

  /**
   * POST (Transport §6.4): Create on an object, Partial Update on an instance
   * or a multiple resource, Execute on an executable resource; on any other
   * resource it is an Execute of something not executable (4.05).
   */
  private post(path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
    if (path.instanceId === undefined) return create(this.scope, path, req, ssid);
    if (path.resourceId === undefined || path.resourceInstanceId !== undefined) return write(this.scope, path, req, ssid, false);
    const rdef = this.ctx.objects.resource(path.objectId!, path.resourceId);
    if (rdef?.operations === 'E') return execute(this.scope, path, req, ssid);
    if (rdef?.multiple) return write(this.scope, path, req, ssid, false);
    return fail(
      this.scope,
      rdef ? Code.METHOD_NOT_ALLOWED : Code.NOT_FOUND,
      rdef ? 'resource not executable' : 'resource not defined',
      req,
    );
  }

  /**
   * Body of a Send (Core §5.5.3 / Transport §6.5.4) to `ssid`: the values under
   * `paths` in SenML. Fails when nothing readable is found.
   */
  sendPayload(ssid: number, paths: Path[], format: number): { ok: true; payload: Uint8Array } | Refused {
    for (const p of paths)
      if (p.objectId !== undefined && this.ctx.objects.hidden(p.objectId))
        return { ok: false, code: Code.UNAUTHORIZED, reason: `object /${p.objectId} is not sent` };
    const records = readComposite(this.scope, paths, ssid);
    if (records.length === 0) return { ok: false, code: Code.NOT_FOUND, reason: 'nothing to send' };
    const enc = encodeComposite(this.scope, records, format);
    return enc.ok ? { ok: true, payload: enc.spec.payload! } : enc;
  }

  /** The application changed a value: observations covering it are re-evaluated. */
  notifyChanged(path: Path): void {
    this.reporting.changed(path);
  }
}

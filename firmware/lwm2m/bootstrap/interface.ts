// The client side of the Bootstrap Interface (Core §5.2.7, Transport §6.3):
// Bootstrap-Write, -Delete, -Discover, -Read and -Finish, all applied to a
// working copy of the configuration. Only a consistent set, confirmed by a
// 2.04 to Bootstrap-Finish, replaces the running configuration.
import { Code } from '../../coap/message';
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import {
  ContentFormat,
  encodeLinkFormat,
  PREFERRED_FORMAT,
  type ContentFormats,
  type DecodedPayload,
  type Link,
} from '../../formats/index';
import { parsePath } from '../../model/path';
import type { Path } from '../../model/types';
import type { Logger } from '../../platform/ports';
import { utf8Encode } from '../../util/utf8';
import { bootstrapSecurityInstance } from '../registration/accounts';
import { applyDecoded, collectRecords, type ApplyLimits } from '../objects/apply';
import { checkConsistency, diagnostic, type ConsistencyOptions } from './consistency';
import { OBJ, SEC, SRV } from '../engine/ids';
import { formatErrorCode, refusal, textResponse } from '../engine/refusal';
import { payloadFormat } from '../engine/request-checks';
import { asNumber, type ObjectTree } from '../objects/object-tree';
import type { ObjectRegistry } from '../objects/object-registry';
import type { ObjectDef } from '../../model/types';

export interface BootstrapContext {
  log: Logger;
  /** The objects the client serves (definitions for typing the Writes; Discover lists them). */
  objects: ObjectRegistry;
  /** The content formats, typing resources with `objects`' definitions. */
  formats: ContentFormats;
  consistency: ConsistencyOptions;
  limits: ApplyLimits;
}

const BOOTSTRAP_READABLE = new Set<number>([OBJ.SERVER, OBJ.ACCESS_CONTROL]);

export class BootstrapSequence {
  readonly working: ObjectTree;
  /** Set by a 2.04 Bootstrap-Finish; the caller commits it. */
  finished: ObjectTree | undefined;
  requests = 0;

  constructor(
    running: ObjectTree,
    private readonly ctx: BootstrapContext,
  ) {
    this.working = running.clone();
  }

  /** Handle one request from the Bootstrap-Server; always answers. */
  handle(req: IncomingRequest): ResponseSpec {
    this.requests++;
    if (req.method === Code.POST && req.path.length === 1 && req.path[0] === 'bs') return this.finish();
    const path = parsePath(req.path);
    if (!path) return fail(Code.BAD_REQUEST, 'bad URI', this.ctx.log, req);
    switch (req.method) {
      case Code.PUT:
        return this.write(req, path);
      case Code.DELETE:
        return this.delete(path, req);
      case Code.GET:
        if (req.observe !== undefined) return fail(Code.METHOD_NOT_ALLOWED, 'Observe is not a bootstrap operation', this.ctx.log, req);
        return req.accept === ContentFormat.LINK_FORMAT ? this.discover(path, req) : this.read(path, req);
      default:
        return fail(Code.METHOD_NOT_ALLOWED, 'not a bootstrap operation', this.ctx.log, req);
    }
  }

  private write(req: IncomingRequest, path: Path): ResponseSpec {
    const log = this.ctx.log;
    if (path.objectId === undefined || path.resourceInstanceId !== undefined)
      return fail(Code.BAD_REQUEST, 'Bootstrap-Write targets /o, /o/i or /o/i/r', log, req);
    const ver = versionQuery(req.query);
    if (ver === null) return fail(Code.BAD_REQUEST, 'bad ver query', log, req);
    const def = this.ctx.objects.def(path.objectId);
    // Without a definition the values cannot be typed, and accepting any
    // object id would let the working copy grow without bound.
    if (!def) return fail(Code.BAD_REQUEST, `object /${path.objectId} not supported`, log, req);
    if (path.resourceId !== undefined && !def.resources.has(path.resourceId))
      return fail(Code.BAD_REQUEST, `resource /${path.objectId}/${path.instanceId}/${path.resourceId} not supported`, log, req);
    if (ver !== undefined && ver.split('.')[0] !== def.version.split('.')[0])
      return fail(Code.BAD_REQUEST, `object /${path.objectId} version ${ver} not supported (have ${def.version})`, log, req);
    const format = payloadFormat(req, path);
    if (!format.ok) return fail(format.code, format.reason, log, req);
    const decoded = this.ctx.formats.decode(format.format, req.payload, path);
    if (!decoded.ok) return fail(formatErrorCode(decoded.kind), decoded.reason, log, req);
    // Core §5.2.7.4: optional resources the client does not support are ignored.
    const value = withoutUnknownResources(decoded.value, def);
    const applied = applyDecoded(this.working, value, this.ctx.limits);
    if (!applied.ok) return fail(Code.REQUEST_ENTITY_TOO_LARGE, applied.reason, log, req);
    log.info(
      `bootstrap: write /${req.path.join('/')} (${value.records.length} values, ${decoded.value.records.length - value.records.length} ignored)`,
    );
    return { code: Code.CHANGED };
  }

  private delete(path: Path, req: IncomingRequest): ResponseSpec {
    const log = this.ctx.log;
    const w = this.working;
    if (path.resourceId !== undefined) return fail(Code.BAD_REQUEST, 'Bootstrap-Delete targets /, /o or /o/i', log, req);
    const bsAccount = bootstrapSecurityInstance(w);
    if (path.objectId === undefined) {
      for (const oid of [...w.objects.keys()]) this.deleteObject(oid, bsAccount);
      log.info('bootstrap: delete / (Bootstrap-Server Account kept)');
      return { code: Code.DELETED };
    }
    const oid = path.objectId;
    if (!this.ctx.objects.def(oid) && !w.objects.has(oid)) return fail(Code.BAD_REQUEST, `unknown object /${oid}`, log, req);
    if (path.instanceId === undefined) {
      if (oid === OBJ.DEVICE) return fail(Code.BAD_REQUEST, 'the Device object cannot be deleted', log, req);
      this.deleteObject(oid, bsAccount);
    } else {
      if (oid === OBJ.SECURITY && path.instanceId === bsAccount)
        return fail(Code.BAD_REQUEST, 'the Bootstrap-Server Account cannot be deleted', log, req);
      if (oid === OBJ.DEVICE) return fail(Code.BAD_REQUEST, 'the Device object instance cannot be deleted', log, req);
      w.deleteInstance(oid, path.instanceId); // deleting an absent instance is not an error: the end state is the same
    }
    log.info(`bootstrap: delete /${req.path.join('/')}`);
    return { code: Code.DELETED };
  }

  // "/" deletes every instance except the Bootstrap-Server Account; the single
  // mandatory Device instance is not deletable in 1.1 and stays too.
  private deleteObject(oid: number, bsAccount: number | undefined): void {
    if (oid === OBJ.DEVICE) return;
    for (const iid of this.working.instanceIds(oid)) {
      if (oid === OBJ.SECURITY && iid === bsAccount) continue;
      this.working.deleteInstance(oid, iid);
    }
  }

  private discover(path: Path, req: IncomingRequest): ResponseSpec {
    if (path.instanceId !== undefined) return fail(Code.BAD_REQUEST, 'Bootstrap-Discover targets / or /o', this.ctx.log, req);
    // The enabler version leads the answer for "/" and for "/o" alike (Core §5.2.7.3).
    const links: Link[] = [{ target: '/', attrs: [['lwm2m', '1.1']] }];
    if (path.objectId === undefined) {
      const oids = new Set<number>([...this.ctx.objects.supported, ...this.working.objects.keys()]);
      for (const oid of [...oids].sort((a, b) => a - b)) this.objectLinks(oid, links);
    } else {
      if (!this.ctx.objects.supported.has(path.objectId) && !this.working.objects.has(path.objectId))
        return fail(Code.NOT_FOUND, `object /${path.objectId} not supported`, this.ctx.log, req);
      this.objectLinks(path.objectId, links);
    }
    return { code: Code.CONTENT, contentFormat: ContentFormat.LINK_FORMAT, payload: utf8Encode(encodeLinkFormat(links)) };
  }

  private objectLinks(oid: number, links: Link[]): void {
    const w = this.working;
    const version = this.ctx.objects.def(oid)?.version;
    const iids = w.instanceIds(oid);
    if (version && version !== '1.0') links.push({ target: `/${oid}`, attrs: [['ver', version]] });
    else if (iids.length === 0) links.push({ target: `/${oid}`, attrs: [] });
    for (const iid of iids) {
      const attrs: Link['attrs'] = [];
      if (oid === OBJ.SECURITY) {
        const ssid = asNumber(w.value(oid, iid, SEC.SHORT_SERVER_ID));
        if (w.value(oid, iid, SEC.BOOTSTRAP_SERVER) !== true && ssid !== undefined) attrs.push(['ssid', String(ssid)]);
        const uri = w.value(oid, iid, SEC.URI);
        if (typeof uri === 'string') attrs.push(['uri', uri]);
      } else if (oid === OBJ.SERVER) {
        const ssid = asNumber(w.value(oid, iid, SRV.SHORT_SERVER_ID));
        if (ssid !== undefined) attrs.push(['ssid', String(ssid)]);
      }
      links.push({ target: `/${oid}/${iid}`, attrs });
    }
  }

  // Bootstrap-Read is limited to the Server and Access Control objects
  // (Core §5.2.7.5): it lets the Bootstrap-Server see existing accounts.
  private read(path: Path, req: IncomingRequest): ResponseSpec {
    const log = this.ctx.log;
    if (path.objectId === undefined || path.resourceId !== undefined)
      return fail(Code.BAD_REQUEST, 'Bootstrap-Read targets /o or /o/i', log, req);
    if (!BOOTSTRAP_READABLE.has(path.objectId))
      return fail(Code.METHOD_NOT_ALLOWED, `Bootstrap-Read of /${path.objectId} is not allowed`, log, req);
    if (path.instanceId !== undefined && !this.working.getInstance(path.objectId, path.instanceId))
      return fail(Code.NOT_FOUND, `/${path.objectId}/${path.instanceId} not found`, log, req);
    const format = req.accept ?? PREFERRED_FORMAT.tree;
    const records = collectRecords(this.working, path);
    const encoded = this.ctx.formats.encode(format, path, records);
    if (!encoded.ok) return fail(formatErrorCode(encoded.kind), encoded.reason, log, req);
    return { code: Code.CONTENT, contentFormat: format, payload: encoded.value };
  }

  private finish(): ResponseSpec {
    const problems = checkConsistency(this.working, this.ctx.consistency);
    if (problems.length > 0) {
      const text = diagnostic(problems);
      this.ctx.log.warn(`bootstrap: Finish rejected, inconsistent configuration: ${text}`);
      return textResponse(Code.NOT_ACCEPTABLE, text);
    }
    this.finished = this.working;
    this.ctx.log.info('bootstrap: Finish accepted, configuration consistent');
    return { code: Code.CHANGED };
  }
}

/** Drop records and multiple resources the object definition does not name. */
function withoutUnknownResources(d: DecodedPayload, def: ObjectDef | undefined): DecodedPayload {
  const known = (rid: number | undefined) => rid !== undefined && def !== undefined && def.resources.has(rid);
  return {
    instances: d.instances,
    records: d.records.filter((r) => !r.unknown && known(r.path.resourceId)),
    multipleResources: d.multipleResources.filter((m) => known(m.resourceId)),
  };
}

/** `?ver=X.Y` → 'X.Y', absent → undefined, malformed → null. */
function versionQuery(query: string[]): string | undefined | null {
  for (const q of query) {
    if (q.startsWith('ver=')) return /^\d{1,3}\.\d{1,3}$/.test(q.slice(4)) ? q.slice(4) : null;
  }
  return undefined;
}

function fail(code: number, reason: string, log: Logger, req: IncomingRequest): ResponseSpec {
  return refusal(log, 'bootstrap', req, code, reason);
}

// What every Device Management operation works with (dm-*.ts): the running
// tree and the client's context, the Information Reporting state, and the
// Access Control checks (Core §7.3.3) that tell which instances a server
// sees and may change.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import type { ContentFormats } from '../../formats/index';
import type { Path } from '../../model/types';
import type { Logger, Timers } from '../../platform/ports';
import { ACL, rightsOn } from './access-control';
import type { ApplyLimits } from '../objects/apply';
import type { ObjectRegistry } from '../objects/object-registry';
import type { ObjectTree } from '../objects/object-tree';
import type { InformationReporting, ReportingOptions } from '../reporting/reporting';
import { refusal } from '../engine/refusal';
import type { Refused } from '../engine/request-checks';

export interface DmContext {
  tree(): ObjectTree;
  log: Logger;
  /** The objects served: definitions and handlers (objects/object-registry.ts). */
  objects: ObjectRegistry;
  /** The content formats, typing resources with `objects`' definitions. */
  formats: ContentFormats;
  limits: ApplyLimits;
  /** After a successful change: resources written, or instances created/deleted. */
  changed(kind: 'write' | 'create' | 'delete', path: Path, ssid: number): void;
  /** Timers for notification pacing and the bound on asynchronous reads. */
  timers: Timers;
  /** How long a Read waits for a handler's asynchronous value, ms. */
  readTimeout: number;
  /** Queue Mode with the radio off: notifications of changes wait for the next wake. */
  deferChanges?(): boolean;
  reporting?: ReportingOptions;
}

export interface DmScope {
  readonly ctx: DmContext;
  readonly reporting: InformationReporting;
}

/** The refusal a DM operation answers with (logged, reason as text/plain). */
export function fail(scope: DmScope, code: number, reason: string, req: IncomingRequest): ResponseSpec {
  return refusal(scope.ctx.log, 'dm', req, code, reason);
}

/** undefined when allowed; else 4.04 (instance invisible to this server) or 4.01 (right missing). */
export function denied(scope: DmScope, ssid: number, oid: number, iid: number, bit: number): Refused | undefined {
  const r = rightsOn(scope.ctx.tree(), ssid, oid, iid);
  if (r === 0) return { ok: false, code: Code.NOT_FOUND, reason: 'instance not found' };
  if ((r & bit) === 0) return { ok: false, code: Code.UNAUTHORIZED, reason: 'access denied by ACL' };
  return undefined;
}

/** Instances of `oid` this server may act on with `bit` (Read by default). */
export function visibleInstances(scope: DmScope, oid: number, ssid: number, bit: number = ACL.READ): number[] {
  const tree = scope.ctx.tree();
  return tree.instanceIds(oid).filter((iid) => (rightsOn(tree, ssid, oid, iid) & bit) !== 0);
}

/** After a change: the client (persistence, Updates) and the observations covering it hear of it. */
export function afterChange(scope: DmScope, kind: 'write' | 'create' | 'delete', path: Path, ssid: number): void {
  scope.ctx.changed(kind, path, ssid);
  scope.reporting.changed(path);
}

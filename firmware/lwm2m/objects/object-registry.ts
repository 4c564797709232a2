// The objects one client serves: each object's definition and handler
// (objects/object-api.ts), looked up by the generic request code instead of naming
// particular objects. It also carries live reads: a handler's synchronous
// value is used at once; an asynchronous one is waited for by a Read (with a
// bound) and remembered, so notifications and composite reads, which cannot
// wait, use its last answer and notify when a newer one differs.
import { Code } from '../../coap/message';
import { resourceType, type TypeResolver } from '../../formats/index';
import { getObjectDef } from '../../model/objects';
import type { ObjectDef, Path, ResourceDef, Value } from '../../model/types';
import type { Logger } from '../../platform/ports';
import { readsLive, type ObjectHandler, type ObjectSpec, type ReadValue, type Refusal } from './object-api';
import { isMultiple, type ObjectTree, type ResourceValue } from './object-tree';
import { bytesEqual } from '../../util/bytes';

/** A live value now, one still coming (a Read may wait for it), or why it failed (5.00). */
export type LiveRead =
  | { kind: 'stored' }
  | { kind: 'value'; value: ResourceValue }
  | { kind: 'pending'; promise: Promise<ReadValue>; last: ReadValue }
  | { kind: 'failed'; reason: string };

/** The stored value stands (one object for every such answer). */
const STORED: LiveRead = Object.freeze({ kind: 'stored' });

export interface RegistryHost {
  log: Logger;
  /** A value a handler answered asynchronously differs from its last answer: observations re-evaluate. */
  changed(path: Path): void;
}

export class ObjectRegistry {
  readonly supported: ReadonlySet<number>;
  private readonly specs = new Map<number, ObjectSpec>();
  /** Last asynchronous answer per `o/i/r`; bound: the resources of the instances served (dropped with an instance). */
  private readonly lastAsync = new Map<string, ResourceValue>();
  /** Asynchronous reads under way, one per resource (a second Read joins the first). */
  private readonly inFlight = new Map<string, Promise<ReadValue>>();

  constructor(
    specs: readonly ObjectSpec[],
    private readonly host: RegistryHost,
  ) {
    const ids = new Set<number>();
    for (const s of specs) {
      if (!s.definition && !getObjectDef(s.id)) {
        host.log.error(`objects: /${s.id} has no definition (give ObjectSpec.definition, from its DDF); not served`);
        continue;
      }
      if (s.definition && s.definition.id !== s.id) {
        host.log.error(`objects: /${s.id} given the definition of /${s.definition.id}; not served`);
        continue;
      }
      // A later spec of the same id wins: the application may replace a built-in handler.
      this.specs.set(s.id, s);
      ids.add(s.id);
    }
    this.supported = ids;
    for (const s of this.specs.values()) {
      s.handler?.attach?.((instanceId, resourceId) => host.changed({ objectId: s.id, instanceId, resourceId }));
    }
  }

  def(objectId: number): ObjectDef | undefined {
    return this.specs.get(objectId)?.definition ?? getObjectDef(objectId);
  }

  resource(objectId: number, resourceId: number): ResourceDef | undefined {
    return this.def(objectId)?.resources.get(resourceId);
  }

  handler(objectId: number): ObjectHandler | undefined {
    return this.specs.get(objectId)?.handler;
  }

  /** For the content-format codecs: the type of a resource, from this client's definitions. */
  readonly resolveType: TypeResolver = (objectId, resourceId) => resourceType(this.def(objectId), resourceId);

  /** Whether no LwM2M Server may reach this object at all (the Security object). */
  hidden(objectId: number): boolean {
    return this.specs.get(objectId)?.hidden === true;
  }

  /** Whether a value under `path` moves by itself (ObjectHandler.volatile). */
  isVolatile(path: Path): boolean {
    if (path.objectId === undefined) return false;
    const h = this.handler(path.objectId);
    if (!h?.volatile) return false;
    if (path.instanceId === undefined)
      return this.specs.get(path.objectId)?.instances?.some((i) => h.volatile!(typeof i === 'number' ? i : i.id, undefined)) ?? false;
    return h.volatile(path.instanceId, path.resourceId);
  }

  /** Whether servers may Create and Delete instances of this object. */
  fixedInstances(objectId: number): boolean {
    return this.specs.get(objectId)?.fixedInstances === true;
  }

  maxInstances(objectId: number, fallback: number): number {
    return this.specs.get(objectId)?.maxInstances ?? fallback;
  }

  /** Puts each object's initial instances into a (new) running tree; existing values are kept. */
  install(tree: ObjectTree): void {
    for (const s of this.specs.values()) {
      for (const inst of s.instances ?? []) {
        const id = typeof inst === 'number' ? inst : inst.id;
        const data = tree.ensureInstance(s.id, id);
        if (typeof inst === 'number' || !inst.values) continue;
        for (const [rid, v] of Object.entries(inst.values)) {
          if (data.has(Number(rid))) continue;
          data.set(Number(rid), Array.isArray(v) ? new Map((v as Value[]).map((x, i) => [i, x])) : (v as Value));
        }
      }
    }
  }

  /** Whether the handler can run this executable (an executable exists for Discover only then). */
  canExecute(objectId: number, instanceId: number, resourceId: number): boolean {
    const h = this.handler(objectId);
    if (!h?.execute) return false;
    return h.canExecute?.(instanceId, resourceId) ?? true;
  }

  /** Whether a Block1 write of this resource streams to its handler. */
  streams(objectId: number, instanceId: number, resourceId: number): boolean {
    const h = this.handler(objectId);
    return h?.writeBlock !== undefined && (h.streams?.(instanceId, resourceId) ?? false);
  }

  /** The handler's value of a readable resource; never throws. */
  read(objectId: number, instanceId: number, resourceId: number, ssid: number | undefined): LiveRead {
    const h = this.handler(objectId);
    if (!h?.read || !readsLive(h, resourceId)) return STORED;
    // The key names an asynchronous read only: a synchronous answer (the usual one) builds no string.
    let key: string | undefined;
    if (this.inFlight.size > 0) {
      key = `${objectId}/${instanceId}/${resourceId}`;
      const joining = this.inFlight.get(key);
      if (joining) return { kind: 'pending', promise: joining, last: this.lastAsync.get(key) };
    }
    let got: ReadValue | Promise<ReadValue>;
    try {
      got = h.read({ instanceId, resourceId, ssid });
    } catch (e) {
      return this.failed(`${objectId}/${instanceId}/${resourceId}`, e);
    }
    if (!isPromise(got)) return got === undefined ? STORED : { kind: 'value', value: got };
    const k = key ?? `${objectId}/${instanceId}/${resourceId}`;
    const promise = got.then(
      (v) => {
        this.inFlight.delete(k);
        if (v === undefined) return v;
        const before = this.lastAsync.get(k);
        this.lastAsync.set(k, v);
        if (before !== undefined && !sameValue(before, v)) this.host.changed({ objectId, instanceId, resourceId });
        return v;
      },
      (e: unknown) => {
        this.inFlight.delete(k);
        throw e;
      },
    );
    this.inFlight.set(k, promise);
    // A rejection nobody waits for (a notification's read) must not surface as unhandled.
    promise.catch(() => undefined);
    return { kind: 'pending', promise, last: this.lastAsync.get(k) };
  }

  /** Stop waiting for a read that did not answer in time (a late answer still updates the last value). */
  abandon(objectId: number, instanceId: number, resourceId: number): void {
    this.inFlight.delete(`${objectId}/${instanceId}/${resourceId}`);
  }

  /** An instance is gone: forget its remembered values. */
  dropInstance(objectId: number, instanceId: number): void {
    const prefix = `${objectId}/${instanceId}/`;
    for (const k of [...this.lastAsync.keys()]) if (k.startsWith(prefix)) this.lastAsync.delete(k);
  }

  // The handler's message goes to the log only; the server learns that the read failed.
  private failed(key: string, e: unknown): LiveRead {
    this.host.log.error(`objects: read handler of /${key} failed: ${e instanceof Error ? e.message : String(e)}`);
    return { kind: 'failed', reason: `read handler of /${key} failed` };
  }
}

/** A handler's refusal, checked so a handler's odd return value is not mistaken for one. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && typeof (x as Refusal).code === 'number' && typeof (x as Refusal).reason === 'string';
}

/** A refusal's code when it is an error code (4.xx/5.xx); anything else becomes 5.00. */
export function refusalCode(r: Refusal): number {
  return r.code >= Code.BAD_REQUEST && r.code <= 0xbf ? r.code : Code.INTERNAL_SERVER_ERROR;
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof x === 'object' && x !== null && typeof (x as Promise<T>).then === 'function';
}

function sameValue(a: ResourceValue, b: ResourceValue): boolean {
  if (isMultiple(a) || isMultiple(b)) {
    if (!isMultiple(a) || !isMultiple(b) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !sameValue(v, b.get(k)!)) return false;
    return true;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !(a instanceof Uint8Array) &&
    !(b instanceof Uint8Array)
  ) {
    return a.objectId === b.objectId && a.instanceId === b.instanceId;
  }
  return a === b;
}

// The object seam: how an application (and the client's own Device, Server
// and Firmware Update objects) serves an LwM2M object. An object is its
// definition (the DDF's resources, model/types ObjectDef) plus a handler with
// one function per operation (Core §5.4): read a live value, take a Write,
// run an Execute, accept a Create or a Delete. The generic request code
// (dm-*.ts) checks everything the definition and Access Control say first —
// existence, operations, types, ranges, ACL — and calls the handler last, so
// a handler sees only requests that are valid for its definition.
//
// What a handler does not serve comes from the client's object tree: values
// the application set (LwM2MClient.setValue) or a server wrote.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import type { ObjectDef, Value } from '../../model/types';
import type { ResourceValue } from './object-tree';

/** A handler's "no": the response code (4.00, 4.05, 5.03 …) and a reason the server gets as text. */
export interface Refusal {
  code: number;
  reason: string;
}

export interface ReadRequest {
  instanceId: number;
  resourceId: number;
  /** The server asking; undefined for the client's own reads (Send, notifications of a composite). */
  ssid?: number;
}

/** A value (a Map riid → value for a multiple resource), or undefined for "the stored one". */
export type ReadValue = ResourceValue | undefined;

export interface WriteRequest {
  instanceId: number;
  /** Resource id → the value after this Write (a multiple resource: its whole new Map). */
  values: ReadonlyMap<number, ResourceValue>;
  /** Replace (PUT) rather than Partial Update (POST / iPATCH). */
  replace: boolean;
  ssid: number;
}

/** `consumed`: resources the handler keeps itself (a clock offset, a download): not stored in the tree. */
export type WriteOutcome = Refusal | { consumed: readonly number[] } | void;

/** One Execute argument (Core §5.4.5): a digit and an optional quoted value. */
export interface ExecuteArgument {
  digit: number;
  value?: string;
}

export interface ExecuteRequest {
  instanceId: number;
  resourceId: number;
  args: readonly ExecuteArgument[];
  ssid: number;
}

/** What an Execute did: its code (default 2.04), and what runs once that response is on the wire. */
export interface ExecuteResult {
  code?: number;
  afterResponse?: () => void;
}

export interface CreateRequest {
  instanceId: number;
  values: ReadonlyMap<number, ResourceValue>;
  ssid: number;
}

export interface DeleteRequest {
  instanceId: number;
  ssid: number;
}

/** Whether a Read of `resourceId` asks `h` for a live value (it has read(), and names the resource or names none). */
export function readsLive(h: ObjectHandler | undefined, resourceId: number): boolean {
  if (h?.read === undefined) return false;
  const live = h.liveResources;
  return live === undefined || live.includes(resourceId);
}

export interface ObjectHandler {
  /**
   * A live value. A Promise is waited for up to ClientOptions.readTimeout
   * (then 5.03); notifications and composite reads use its last answer. A
   * throw or a rejection is 5.00.
   */
  read?(r: ReadRequest): ReadValue | Promise<ReadValue>;
  /**
   * The resources `read` gives values of; the others are served from the stored values without asking it
   * (a Read of the whole Device object asks for 2 resources, not 23). Undefined: it is asked for every one.
   */
  readonly liveResources?: readonly number[];
  /** After every check passed; a Refusal changes nothing. */
  write?(w: WriteRequest): WriteOutcome;
  /** An executable resource of the definition; a bare number is the response code. */
  execute?(e: ExecuteRequest): ExecuteResult | number | void;
  /**
   * A value that moves by itself with no change notice (a clock): observers of it re-read it at least
   * every second. `resourceId` undefined asks about the whole instance.
   */
  volatile?(instanceId: number, resourceId: number | undefined): boolean;
  /** Whether this instance can run this executable (Discover lists it only then); default: yes when `execute` exists. */
  canExecute?(instanceId: number, resourceId: number): boolean;
  /** A server creates an instance (values already checked against the definition). */
  create?(c: CreateRequest): Refusal | void;
  /** A server deletes an instance. */
  delete?(d: DeleteRequest): Refusal | void;
  /** A resource whose Block1 writes go to the handler block by block, never reassembled (a firmware Package). */
  streams?(instanceId: number, resourceId: number): boolean;
  /** One block of such a write; Access Control has been checked. */
  writeBlock?(req: IncomingRequest): ResponseSpec;
  /**
   * Called once when the client takes the object: `changed` tells it a value
   * the handler serves changed, so observations of it notify (as
   * LwM2MClient.notifyChanged does for the application).
   */
  attach?(changed: (instanceId: number, resourceId: number) => void): void;
}

/** Initial instance: its id and the values it starts with. */
export interface InstanceSpec {
  id: number;
  values?: Readonly<Record<number, Value | readonly Value[]>>;
}

/** An object the client serves (ClientOptions.objects). */
export interface ObjectSpec {
  id: number;
  /** The definition; default: the built-in one (model/objects: core objects, IPSO Smart Objects). */
  definition?: ObjectDef;
  /** Instances created at every start (values are not configuration: the application owns them). */
  instances?: ReadonlyArray<number | InstanceSpec>;
  handler?: ObjectHandler;
  /** Bound on instances a server may create; default ClientOptions.limits.maxInstancesPerObject. */
  maxInstances?: number;
  /** Servers may not Create or Delete instances (the Server, Access Control and Device objects). */
  fixedInstances?: boolean;
  /** No LwM2M Server may reach it by any operation, Send included (the Security object, Core §7.1.1 / E.1). */
  hidden?: boolean;
}

// The JSON shapes of the console's HTTP API and its server-sent events: the
// contract between the Node side and the page (which imports this file; it
// must stay free of imports). Documented for scripts in the README.

export interface InfoJson {
  name: string;
  version: string;
  /** Which halves this console serves. */
  server: boolean;
  bootstrap: boolean;
  formats: string[];
  compositeFormats: string[];
}

export interface ResourceDefJson {
  id: number;
  name: string;
  operations: string;
  multiple: boolean;
  mandatory: boolean;
  type: string;
  units?: string;
  range?: string;
}
export interface ObjectDefJson {
  id: number;
  name: string;
  version: string;
  urn: string;
  multiple: boolean;
  mandatory: boolean;
  resources: ResourceDefJson[];
}

export interface RecordJson {
  path: string;
  name?: string;
  type?: string;
  units?: string;
  /** 64-bit integers beyond 2^53 as decimal text, Opaque as "0x…", Object Links as "3:0". */
  value: string | number | boolean | null;
  /** An enumerated value's name ("Unsupported protocol" for Update Result 9). */
  label?: string;
}

/** The answer of a device operation (HTTP 200 whatever the CoAP code). */
export interface ResultJson {
  code: string;
  /** "2.05 Content" */
  status: string;
  ok: boolean;
  /** The Content-Format that came back ("senml-json"). */
  format?: string;
  records?: RecordJson[];
  /** The client's reason text on an error answer. */
  reason?: string;
  /** Where a Create put the new instance ("/3303/0"). */
  location?: string;
}

export interface DiscoverJson {
  code: string;
  status: string;
  ok: boolean;
  reason?: string;
  links?: Array<{ path: string; name?: string; attributes: Record<string, string | null> }>;
}

export interface DeviceObjectJson {
  objectId: number;
  /** Object Version the client announced (`ver`). */
  version?: string;
  instances: number[];
}

export interface HistoryEntry {
  at: string;
  event: 'registered' | 'updated' | 'de-registered' | 'expired' | 'awake' | 'asleep';
  detail: string;
}

export interface DeviceJson {
  endpoint: string;
  registered: boolean;
  /** Registration location, "/rd/1". */
  location: string;
  address: string;
  port: number;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  /** 'coaps' when registered over DTLS, with the session's PSK identity (never the key). */
  security: 'coap' | 'coaps';
  pskIdentity?: string;
  registeredAt: string;
  lastUpdate: string;
  updates: number;
  objects: DeviceObjectJson[];
  history: HistoryEntry[];
  /** Registered in Queue Mode: whether the server counts it awake now, and the operations waiting for it. */
  queueMode?: boolean;
  awake?: boolean;
  queued?: Array<{ what: string; since: string }>;
}

export interface SendJson {
  endpoint: string;
  at: string;
  format?: string;
  records: RecordJson[];
}

/** One notification's numeric values by resource path, at a wall-clock time in ms. */
export interface Point {
  t: number;
  values: Record<string, number>;
}

export interface ObservationJson {
  id: string;
  endpoint: string;
  paths: string[];
  composite: boolean;
  format?: string;
  startedAt: string;
  notifications: number;
  last: ResultJson;
  points: Point[];
}

export interface NotifyEvent {
  id: string;
  endpoint: string;
  at: string;
  result: ResultJson;
  point?: Point;
}

export interface MessageJson {
  at: string;
  /** Who sent the request: the client (Bootstrap-Request) or the Bootstrap-Server (everything else). */
  from: 'client' | 'server';
  operation: string;
  method: string;
  path: string;
  format?: string;
  /** The answer. */
  code: string;
  status: string;
  /** The client's reason text on an error answer. */
  reason?: string;
  /** The Discover answer (link-format). */
  detail?: string;
}

export interface SessionJson {
  id: string;
  endpoint: string;
  /** client: it sent a Bootstrap-Request; server: server-initiated. */
  origin: 'client' | 'server';
  peer?: string;
  startedAt: string;
  finishedAt?: string;
  ok?: boolean;
  /** Why it failed, e.g. "Finish answered 4.06: …". */
  diagnostic?: string;
  messages: MessageJson[];
}

export interface EndpointConfigJson {
  endpoint: string;
  /** The configuration entry used: the endpoint's own, or "*". */
  matched: string;
  /** servers, bootstrap, writes as configured, without PSK keys. */
  config: {
    servers: Array<Record<string, unknown>>;
    bootstrap?: Record<string, unknown>;
    writes?: Array<{ path: string; value: unknown }>;
  };
  /** The resources a sequence writes, secrets shown as "(hidden)". */
  writes: RecordJson[];
}

/** A pre-shared key the LwM2M Server holds for an endpoint: its identity, never the key. */
export interface PskEntryJson {
  endpoint: string;
  identity: string;
}

// What a queue-mode client keeps across a deep sleep (Core 1.1 §6.5), so that
// a wake costs an Update or a notification, not a Register, the observations
// again and a DTLS handshake: each Registration (registration/registration.ts), each
// observation with its CoAP relation (reporting/reporting.ts), the DTLS state of each
// server (dtls/transport.ts: the session when it has a Connection ID, else what
// resumes it), the CoAP counters, and the planned wake. It goes to the
// platform's RetainedMemory (RTC memory on an ESP32, a file on the Linux
// runtime) when the radio goes off, never to flash, and is read back once at
// boot: without it (a power loss) the client starts from the flash store and
// registers again.
//
// Form: 'L' 'S' version, a CBOR array (formats/cbor.ts, positional fields),
// CRC-32 of all before it. A state that is damaged, of another version, or
// taken with another configuration (a fingerprint of the Security and Server
// instances and the endpoint name) is not used. It holds the DTLS keys: it is
// never logged, and the retained memory is cleared as soon as it is read.
import { decodeCbor, encodeCbor, type CborValue } from '../../formats/cbor';
import type { KeptRelation } from '../../coap/api';
import type { KeptDtls } from '../../dtls/transport';
import type { KeptSession } from '../../dtls/connection';
import type { Value } from '../../model/types';
import { crc32 } from '../../store/crc';
import { encodeInstance } from '../../store/object-codec';
import { utf8Encode } from '../../util/utf8';
import { OBJ } from '../engine/ids';
import type { ObjectTree } from '../objects/object-tree';
import type { KeptRegistration } from '../registration/registration';
import type { KeptObservation } from '../reporting/reporting';

export const SLEEP_STATE_VERSION = 1;
/** 'L' 'S'. */
const MAGIC0 = 0x4c;
const MAGIC1 = 0x53;
const HEADER = 3;
const TRAILER = 4;

/** The DTLS state kept for one server (by its Short Server ID and address). */
export interface KeptPeer {
  ssid: number;
  address: string;
  port: number;
  dtls: KeptDtls;
}

export interface SleepState {
  /** configFingerprint() of the configuration the state belongs to. */
  fingerprint: number;
  /** When the client planned to wake, ms after the radio went off (undefined: no plan). */
  nextWakeMs: number | undefined;
  /** The last CoAP Message ID and Observe sequence number handed out. */
  mid: number;
  observeSeq: number;
  registrations: KeptRegistration[];
  observations: KeptObservation[];
  peers: KeptPeer[];
}

/**
 * Which configuration a state belongs to: CRC-32 of the endpoint name and the Security and Server instances (URIs,
 * Short Server IDs, keys, lifetimes). A state taken with another one (a bootstrap since, a new factory image) is not used.
 */
export function configFingerprint(tree: ObjectTree, endpointName: string): number {
  const parts: Uint8Array[] = [utf8Encode(endpointName)];
  for (const oid of [OBJ.SECURITY, OBJ.SERVER]) {
    for (const [iid, inst] of tree.instances(oid) ?? []) parts.push(Uint8Array.of(oid, iid & 0xff, iid >> 8), encodeInstance(inst));
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const all = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    all.set(p, n);
    n += p.length;
  }
  return crc32(all);
}

// ---- encode ------------------------------------------------------------------------------------------------

/** Times are whole ms, never negative (a clock may give fractions). */
const ms = (v: number): number => Math.max(0, Math.round(v));
const opt = (v: number | undefined): CborValue => (v === undefined ? null : ms(v));
const bytesOrNull = (b: Uint8Array | null): CborValue => (b === null ? null : b);

function value(v: Value): CborValue {
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) return [v.objectId, v.instanceId];
  return v;
}

function session(k: KeptSession | null): CborValue {
  if (k === null) return null;
  return [k.cipherSuite, k.keyBlock, k.writeSequenceNumber, k.readWindow, bytesOrNull(k.readCid), bytesOrNull(k.writeCid)];
}

function dtls(d: KeptDtls): CborValue {
  const r = d.resumable;
  return [r === null ? null : [r.sessionId, r.masterSecret, r.cipherSuite, r.extendedMasterSecret, ms(r.age)], session(d.session)];
}

/** The state in its retained form; undefined when it is larger than `capacity` bytes. */
export function encodeSleepState(s: SleepState, capacity: number): Uint8Array | undefined {
  const body: CborValue = [
    s.fingerprint,
    opt(s.nextWakeMs),
    s.mid,
    s.observeSeq,
    s.registrations.map((r): CborValue => [r.ssid, r.location, r.lifetime, r.binding, r.linksCrc, r.form, opt(r.updateIn)]),
    s.observations.map((o): CborValue => [
      o.ssid,
      o.relation.token,
      o.relation.szx,
      o.relation.request,
      o.paths,
      o.composite,
      opt(o.format),
      o.last.map(([p, v]): CborValue => [p, value(v)]),
      ms(o.sentAgo),
      ms(o.conAgo),
      ms(o.evalAgo),
      o.dirty,
    ]),
    s.peers.map((p): CborValue => [p.ssid, p.address, p.port, dtls(p.dtls)]),
  ];
  const cbor = encodeCbor(body, { maxBytes: Math.max(0, capacity - HEADER - TRAILER) });
  if (!cbor.ok) return undefined;
  const out = new Uint8Array(HEADER + cbor.value.length + TRAILER);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = SLEEP_STATE_VERSION;
  out.set(cbor.value, HEADER);
  new DataView(out.buffer).setUint32(out.length - TRAILER, crc32(out, 0, out.length - TRAILER));
  cbor.value.fill(0);
  return out;
}

// ---- decode ------------------------------------------------------------------------------------------------

/** Thrown inside decodeSleepState only, for a field of the wrong shape; the caller gets undefined. */
class Malformed extends Error {
  override readonly name = 'Malformed';
}

function fail(): never {
  throw new Malformed();
}
function arr(v: CborValue | undefined, n?: number): CborValue[] {
  if (!Array.isArray(v) || (n !== undefined && v.length !== n)) fail();
  return v;
}
function int(v: CborValue | undefined): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail();
  return v;
}
function optInt(v: CborValue | undefined): number | undefined {
  return v === null ? undefined : int(v);
}
function text(v: CborValue | undefined): string {
  if (typeof v !== 'string') fail();
  return v;
}
function bool(v: CborValue | undefined): boolean {
  if (typeof v !== 'boolean') fail();
  return v;
}
function bytes(v: CborValue | undefined): Uint8Array {
  if (!(v instanceof Uint8Array)) fail();
  return v;
}
function optBytes(v: CborValue | undefined): Uint8Array | null {
  return v === null ? null : bytes(v);
}

function toValue(v: CborValue | undefined): Value {
  if (Array.isArray(v)) {
    if (v.length !== 2) fail();
    return { objectId: int(v[0]), instanceId: int(v[1]) };
  }
  if (v === undefined || v instanceof Map) fail();
  return v;
}

function toSession(v: CborValue | undefined): KeptSession | null {
  if (v === null) return null;
  const a = arr(v, 6);
  return {
    cipherSuite: int(a[0]),
    keyBlock: bytes(a[1]),
    writeSequenceNumber: int(a[2]),
    readWindow: bytes(a[3]),
    readCid: optBytes(a[4]),
    writeCid: optBytes(a[5]),
  };
}

function toDtls(v: CborValue | undefined): KeptDtls {
  const a = arr(v, 2);
  let resumable: KeptDtls['resumable'] = null;
  if (a[0] !== null) {
    const r = arr(a[0], 5);
    resumable = {
      sessionId: bytes(r[0]),
      masterSecret: bytes(r[1]),
      cipherSuite: int(r[2]),
      extendedMasterSecret: bool(r[3]),
      age: int(r[4]),
    };
  }
  return { resumable, session: toSession(a[1]) };
}

function toRelation(token: CborValue | undefined, szx: CborValue | undefined, request: CborValue | undefined): KeptRelation {
  return { token: bytes(token), szx: int(szx), request: text(request) };
}

/** A state encodeSleepState wrote; undefined for anything else (damaged, another version, another form). */
export function decodeSleepState(b: Uint8Array): SleepState | undefined {
  if (b.length < HEADER + TRAILER + 1 || b[0] !== MAGIC0 || b[1] !== MAGIC1 || b[2] !== SLEEP_STATE_VERSION) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(b.length - TRAILER) !== crc32(b, 0, b.length - TRAILER)) return undefined;
  const got = decodeCbor(b.subarray(HEADER, b.length - TRAILER));
  if (!got.ok) return undefined;
  try {
    const top = arr(got.value, 7);
    return {
      fingerprint: int(top[0]),
      nextWakeMs: optInt(top[1]),
      mid: int(top[2]),
      observeSeq: int(top[3]),
      registrations: arr(top[4]).map((v): KeptRegistration => {
        const r = arr(v, 7);
        return {
          ssid: int(r[0]),
          location: arr(r[1]).map(text),
          lifetime: int(r[2]),
          binding: text(r[3]),
          linksCrc: int(r[4]),
          form: int(r[5]),
          updateIn: optInt(r[6]),
        };
      }),
      observations: arr(top[5]).map((v): KeptObservation => {
        const o = arr(v, 12);
        return {
          ssid: int(o[0]),
          relation: toRelation(o[1], o[2], o[3]),
          paths: arr(o[4]).map(text),
          composite: bool(o[5]),
          format: optInt(o[6]),
          last: arr(o[7]).map((e): [string, Value] => {
            const pv = arr(e, 2);
            return [text(pv[0]), toValue(pv[1])];
          }),
          sentAgo: int(o[8]),
          conAgo: int(o[9]),
          evalAgo: int(o[10]),
          dirty: bool(o[11]),
        };
      }),
      peers: arr(top[6]).map((v): KeptPeer => {
        const p = arr(v, 4);
        return { ssid: int(p[0]), address: text(p[1]), port: int(p[2]), dtls: toDtls(p[3]) };
      }),
    };
  } catch (e) {
    if (e instanceof Malformed) return undefined;
    throw e;
  }
}

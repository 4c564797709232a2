// The Bootstrap-Server's configuration, checked when it is loaded (or edited
// in the console) rather than when a device connects: every field known (a
// typo is named, with the field it most likely meant), of the right type,
// each extra write a defined resource whose value encodes, and each
// endpoint's accounts passing the client's own Bootstrap-Finish consistency
// check, so a configuration a client would answer 4.06 is refused here with
// the same reason. Messages name the field by its place in the JSON and never
// show key material.
import { MIN_PSK_KEY_BYTES } from './psk-key';
import { createFormats, formatByWord, type ResourceRecord } from '../firmware/formats';
import { checkConsistency } from '../firmware/lwm2m/bootstrap/consistency';
import { OBJ, SECURITY_MODE } from '../firmware/lwm2m/engine/ids';
import { ObjectTree } from '../firmware/lwm2m/objects/object-tree';
import {
  hostObjectDef as getObjectDef,
  hostObjectIds as registeredObjectIds,
  hostResolveType as resolveType,
  hostResourceDef as getResourceDef,
} from './models';
import { parsePath } from '../firmware/model/path';
import { serverAccountRecords, bootstrapAccountRecords } from '../firmware/lwm2m/bootstrap/account-records';
import { utf8Encode } from '../firmware/util/utf8';
import { fromHex } from '../firmware/util/hex';
import type { Value } from '../firmware/model/types';
import { parseTyped, type Checked } from './console/typed-values';

/** The formats a Bootstrap-Server writes whole objects in, by their registry word. */
export const BOOTSTRAP_WRITE_FORMATS = Object.freeze(['tlv', 'senml-json', 'senml-cbor'] as const);
export type BootstrapWriteFormat = (typeof BOOTSTRAP_WRITE_FORMATS)[number];
const FORMATS: Readonly<Record<string, number>> = Object.fromEntries(BOOTSTRAP_WRITE_FORMATS.map((w) => [w, formatByWord(w)!.id]));

/** For checking that values encode (the bytes are not sent): the default codecs, the host's definitions. */
const checkFormats = createFormats({ resolve: resolveType });

type Kind = 'string' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

const TOP: Record<string, Kind> = { format: 'string', discover: 'boolean', deleteFirst: 'boolean', endpoints: 'object' };
const ENDPOINT: Record<string, Kind> = { servers: 'array', psk: 'object', bootstrap: 'object', writes: 'array' };
const SERVER: Record<string, Kind> = {
  uri: 'string',
  ssid: 'integer',
  lifetime: 'integer',
  binding: 'string',
  securityMode: 'string',
  pskIdentity: 'string',
  pskKeyHex: 'string',
  defaultMinPeriod: 'integer',
  defaultMaxPeriod: 'integer',
  bootstrapOnRegistrationFailure: 'boolean',
  communicationRetryCount: 'integer',
  communicationRetryTimer: 'integer',
  communicationSequenceDelayTimer: 'integer',
  communicationSequenceRetryCount: 'integer',
};
const PSK: Record<string, Kind> = { identity: 'string', keyHex: 'string' };
const BOOTSTRAP: Record<string, Kind> = { uri: 'string', clientHoldOffTime: 'integer', accountTimeout: 'integer' };
const WRITE: Record<string, Kind> = { path: 'string', value: 'any' };
const REQUIRED = { server: ['uri', 'ssid'], psk: ['identity', 'keyHex'], bootstrap: ['uri'], write: ['path', 'value'] };

const URI = /^coaps?:\/\/(\[[0-9a-fA-F:.]+\]|[^/:\s[\]]+)(:\d{1,5})?\/?$/;
const HEX = /^([0-9a-fA-F]{2})+$/;

/** Security (/0) resources that hold secrets: Secret Key (5), SMS Binding Secret Key(s) (8). */
const secret = (path: string) => /^\/0\/\d+\/(5|8)(\/|$)/.test(path);

/**
 * The value of an extra write as the resource's type wants it, from what JSON can say: numbers,
 * true/false, text; Opaque as hex ("0x0a1b" or "0a1b"), an Object Link as "3:0", a Time as
 * seconds or an ISO date (the same reading the prompt and the console give a value).
 */
export function writeValue(path: string, value: unknown): Checked<Value> {
  const p = parsePath(path);
  if (!p) return { ok: false, reason: `${JSON.stringify(path)} is not a path` };
  return parseTyped(p, value);
}

/** JSON text to a value; a syntax error names its line and column (not a character offset). */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = (e as Error).message;
    const at = /at position (\d+)/.exec(msg);
    const offset = at ? Number(at[1]) : /end of JSON input/.test(msg) ? text.length : undefined;
    if (offset === undefined) return { ok: false, reason: `not JSON: ${msg}` };
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const what = msg
      .replace(/\s*in JSON at position \d+.*$/, '')
      .replace(/^Unexpected end of JSON input$/, 'the text ends before the JSON does');
    return { ok: false, reason: `not JSON: line ${line}, column ${column}: ${what}` };
  }
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

function kindOf(v: unknown): Kind | 'number' | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as Kind;
}

const KIND_TEXT: Record<Kind, string> = {
  string: 'text',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  any: 'a value',
};

/** The fields of one object: unknown ones (with the likely intended name), missing required ones, wrong types. */
function fields(
  where: string,
  o: unknown,
  known: Record<string, Kind>,
  required: readonly string[],
  out: string[],
): o is Record<string, unknown> {
  if (kindOf(o) !== 'object') {
    out.push(`${where}: must be an object`);
    return false;
  }
  const obj = o as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const kind = known[k];
    if (!kind) {
      const near = Object.keys(known)
        .map((n) => [n, distance(k.toLowerCase(), n.toLowerCase())] as const)
        .sort((a, b) => a[1] - b[1])[0];
      out.push(
        `${where}.${k}: unknown field${near && near[1] <= Math.max(2, Math.floor(k.length / 3)) ? ` (did you mean "${near[0]}"?)` : `; known: ${Object.keys(known).join(', ')}`}`,
      );
      continue;
    }
    if (kind !== 'any' && kindOf(v) !== kind) out.push(`${where}.${k}: must be ${KIND_TEXT[kind]}, not ${JSON.stringify(v)}`);
  }
  for (const k of required) if (!(k in obj)) out.push(`${where}.${k}: missing`);
  return true;
}

const key = (k: string) => (/^[A-Za-z_$][\w$-]*$/.test(k) && !k.includes('-') ? `.${k}` : `[${JSON.stringify(k)}]`);

/** Every problem of a configuration, each naming its field; empty when it can be used. */
export function configProblems(c: unknown): string[] {
  const out: string[] = [];
  if (!fields('configuration', c, TOP, ['endpoints'], out)) return out;
  const cfg = c as Record<string, unknown>;
  if (typeof cfg.format === 'string' && !(cfg.format in FORMATS))
    out.push(`format: must be one of ${Object.keys(FORMATS).join(', ')}, not ${JSON.stringify(cfg.format)}`);
  const format = FORMATS[typeof cfg.format === 'string' && cfg.format in FORMATS ? cfg.format : 'tlv'];
  if (kindOf(cfg.endpoints) !== 'object') return out;
  const endpoints = cfg.endpoints as Record<string, unknown>;
  if (Object.keys(endpoints).length === 0) out.push('endpoints: names no endpoint (use "*" for any)');
  const identities = new Map<string, { key: string; where: string }>();
  for (const [ep, e] of Object.entries(endpoints)) {
    const at = `endpoints${key(ep)}`;
    const before = out.length;
    if (!fields(at, e, ENDPOINT, ['servers'], out)) continue;
    endpointProblems(at, e, format, identities, out);
    // The client's own check, once the shape is right: what it would answer 4.06 to.
    if (out.length === before) out.push(...consistencyProblems(at, e, format));
  }
  return out;
}

function endpointProblems(
  at: string,
  e: Record<string, unknown>,
  format: number,
  identities: Map<string, { key: string; where: string }>,
  out: string[],
): void {
  const servers = Array.isArray(e.servers) ? e.servers : [];
  if (Array.isArray(e.servers) && servers.length === 0) out.push(`${at}.servers: must list at least one server`);
  const ssids = new Map<number, number>();
  servers.forEach((s, n) => {
    const w = `${at}.servers[${n}]`;
    if (!fields(w, s, SERVER, REQUIRED.server, out)) return;
    const srv = s as Record<string, unknown>;
    if (typeof srv.uri === 'string' && !URI.test(srv.uri))
      out.push(`${w}.uri: ${JSON.stringify(srv.uri)} is not a coap:// or coaps:// URI`);
    if (typeof srv.ssid === 'number' && Number.isInteger(srv.ssid)) {
      if (srv.ssid < 1 || srv.ssid > 65534) out.push(`${w}.ssid: must be 1..65534, not ${srv.ssid}`);
      const other = ssids.get(srv.ssid);
      if (other !== undefined) out.push(`${w}.ssid: ${srv.ssid} is servers[${other}]'s too; each server needs its own Short Server ID`);
      else ssids.set(srv.ssid, n);
    }
    for (const k of [
      'lifetime',
      'defaultMinPeriod',
      'defaultMaxPeriod',
      'communicationRetryCount',
      'communicationRetryTimer',
      'communicationSequenceDelayTimer',
      'communicationSequenceRetryCount',
    ]) {
      const v = srv[k];
      if (typeof v === 'number' && Number.isInteger(v) && (v < 0 || v > 0x7fffffff))
        out.push(`${w}.${k}: must be 0 or more (seconds or a count), not ${v}`);
    }
    // Binding letters (Server object /1/x/7); this client speaks UDP, so U must be among them.
    if (typeof srv.binding === 'string' && (!/^[UMHTSNQ]+$/.test(srv.binding) || !srv.binding.includes('U'))) {
      out.push(
        `${w}.binding: ${JSON.stringify(srv.binding)} is not a binding a client here can use (U, with Q for Queue mode: "U" or "UQ")`,
      );
    }
    if (srv.securityMode !== undefined && srv.securityMode !== 'nosec' && srv.securityMode !== 'psk')
      out.push(`${w}.securityMode: must be "nosec" or "psk", not ${JSON.stringify(srv.securityMode)}`);
    const psk = srv.securityMode === 'psk';
    if (typeof srv.uri === 'string' && URI.test(srv.uri) && psk !== srv.uri.startsWith('coaps:')) {
      out.push(
        `${w}: ${psk ? 'securityMode "psk" needs a coaps:// uri' : 'a coaps:// uri needs securityMode "psk" with pskIdentity and pskKeyHex'}`,
      );
    }
    if (psk) {
      if (typeof srv.pskIdentity !== 'string' || srv.pskIdentity === '') out.push(`${w}.pskIdentity: missing`);
      if (typeof srv.pskKeyHex !== 'string' || !HEX.test(srv.pskKeyHex)) out.push(`${w}.pskKeyHex: must be an even number of hex digits`);
      else {
        const short = shortKey(srv.pskKeyHex);
        if (short) out.push(`${w}.pskKeyHex: ${short}`);
      }
    } else if (srv.pskIdentity !== undefined || srv.pskKeyHex !== undefined)
      out.push(`${w}: pskIdentity and pskKeyHex go with securityMode "psk"`);
  });
  if (e.psk !== undefined && fields(`${at}.psk`, e.psk, PSK, REQUIRED.psk, out)) {
    const p = e.psk as Record<string, unknown>;
    if (typeof p.identity === 'string' && p.identity === '') out.push(`${at}.psk.identity: missing`);
    if (typeof p.keyHex === 'string' && !HEX.test(p.keyHex)) out.push(`${at}.psk.keyHex: must be an even number of hex digits`);
    else if (typeof p.keyHex === 'string') {
      const short = shortKey(p.keyHex);
      if (short) out.push(`${at}.psk.keyHex: ${short}`);
    }
    if (typeof p.identity === 'string' && typeof p.keyHex === 'string' && HEX.test(p.keyHex)) {
      const other = identities.get(p.identity);
      if (other && other.key !== p.keyHex.toLowerCase())
        out.push(`${at}.psk: PSK identity ${JSON.stringify(p.identity)} has another key in ${other.where}`);
      else identities.set(p.identity, { key: p.keyHex.toLowerCase(), where: at });
    }
  }
  // Keys (PSK server accounts, a written /0/x/5) go only to an endpoint DTLS authenticates: one with its own "psk",
  // which then may bootstrap over coaps only. Without it anyone could ask for them over plain coap with its name.
  const keyWrites =
    Array.isArray(e.writes) &&
    e.writes.some((x) => typeof (x as { path?: unknown })?.path === 'string' && /^\/0\/\d+\/5$/.test((x as { path: string }).path));
  if (e.psk === undefined && (servers.some((s) => (s as { securityMode?: unknown })?.securityMode === 'psk') || keyWrites)) {
    out.push(
      `${at}: its server accounts or writes carry key material (a PSK or /0/x/5), so it needs its own "psk": keys are written only over coaps, to an endpoint DTLS authenticated`,
    );
  }
  if (e.bootstrap !== undefined && fields(`${at}.bootstrap`, e.bootstrap, BOOTSTRAP, REQUIRED.bootstrap, out)) {
    const b = e.bootstrap as Record<string, unknown>;
    if (typeof b.uri === 'string' && !URI.test(b.uri))
      out.push(`${at}.bootstrap.uri: ${JSON.stringify(b.uri)} is not a coap:// or coaps:// URI`);
    else if (typeof b.uri === 'string' && b.uri.startsWith('coaps:') && !e.psk)
      out.push(`${at}.bootstrap: a coaps:// bootstrap account needs the endpoint's "psk"`);
    for (const k of ['clientHoldOffTime', 'accountTimeout']) {
      const v = b[k];
      if (typeof v === 'number' && Number.isInteger(v) && v < 0) out.push(`${at}.bootstrap.${k}: must be 0 or more seconds, not ${v}`);
    }
  }
  if (e.writes !== undefined && Array.isArray(e.writes)) {
    e.writes.forEach((x, n) => {
      const w = `${at}.writes[${n}]`;
      if (!fields(w, x, WRITE, REQUIRED.write, out)) return;
      const wr = x as Record<string, unknown>;
      if (typeof wr.path !== 'string') {
        if ('path' in wr) out.push(`${w}.path: must be text`);
        return;
      }
      const p = parsePath(wr.path);
      if (!p || p.resourceId === undefined) {
        out.push(`${w}.path: ${JSON.stringify(wr.path)} is not a resource path (/object/instance/resource)`);
        return;
      }
      const obj = getObjectDef(p.objectId!);
      if (!obj) {
        out.push(`${w}.path: object ${p.objectId} has no definition here`);
        return;
      }
      const def = getResourceDef(p.objectId!, p.resourceId);
      if (!def) {
        out.push(`${w}.path: ${obj.name} (/${p.objectId}) has no resource ${p.resourceId}`);
        return;
      }
      const typed = writeValue(wr.path, wr.value);
      if (!typed.ok) {
        out.push(
          `${w}.value: ${secret(wr.path) ? typed.reason.replace(/"[^"]*" is not one$/, 'the value given is not one') : typed.reason}`,
        );
        return;
      }
      const enc = checkFormats.encode(format, p, [{ path: p, value: typed.value }]);
      if (!enc.ok) out.push(`${w}.value: does not encode as ${def.type} (${enc.reason})`);
    });
  }
}

/**
 * What the client's Bootstrap-Finish check says of the set this entry writes: the accounts
 * and the extra writes on a tree (a Bootstrap-Server Account as the device keeps its own),
 * each problem named by the server it concerns.
 */
function consistencyProblems(at: string, e: Record<string, unknown>, format: number): string[] {
  const cfg = e as unknown as {
    servers: Array<Record<string, unknown>>;
    bootstrap?: { uri: string; clientHoldOffTime?: number; accountTimeout?: number };
    psk?: { identity: string; keyHex: string };
    writes?: Array<{ path: string; value: string | number | boolean }>;
  };
  const records: ResourceRecord[] = [];
  const bsPsk =
    cfg.bootstrap?.uri.startsWith('coaps:') && cfg.psk
      ? { identity: utf8Encode(cfg.psk.identity), key: fromHex(cfg.psk.keyHex) }
      : undefined;
  // The device's own Bootstrap-Server Account stays at /0/0 when the entry does not rewrite it.
  records.push(...bootstrapAccountRecords(0, cfg.bootstrap ? { ...cfg.bootstrap, psk: bsPsk } : { uri: 'coap://192.0.2.1:5685' }));
  cfg.servers.forEach((s, n) => {
    const psk =
      s.securityMode === 'psk' ? { identity: utf8Encode(String(s.pskIdentity ?? '')), key: fromHex(String(s.pskKeyHex ?? '')) } : undefined;
    const r = serverAccountRecords(n + 1, n, { ...(s as unknown as Parameters<typeof serverAccountRecords>[2]), psk });
    records.push(...r.security, ...r.server);
  });
  const out: string[] = [];
  for (const [oid, list] of [
    [OBJ.SECURITY, records.filter((r) => r.path.objectId === OBJ.SECURITY)],
    [OBJ.SERVER, records.filter((r) => r.path.objectId === OBJ.SERVER)],
  ] as const) {
    const enc = checkFormats.encode(format, { objectId: oid }, list);
    if (!enc.ok) out.push(`${at}: the Write of /${oid} does not encode (${enc.reason})`);
  }
  const tree = new ObjectTree();
  for (const r of records) tree.set(r.path.objectId!, r.path.instanceId!, r.path.resourceId!, r.value);
  for (const w of cfg.writes ?? []) {
    const p = parsePath(w.path)!;
    const typed = writeValue(w.path, w.value);
    if (!typed.ok) continue;
    if (p.resourceInstanceId === undefined) {
      tree.set(p.objectId!, p.instanceId!, p.resourceId!, typed.value);
      continue;
    }
    const held = tree.get(p.objectId!, p.instanceId!, p.resourceId!);
    const m = held instanceof Map ? held : new Map<number, Value>();
    m.set(p.resourceInstanceId, typed.value);
    tree.set(p.objectId!, p.instanceId!, p.resourceId!, m);
  }
  const problems = checkConsistency(tree, {
    supportedObjects: new Set(registeredObjectIds()),
    supportedSecurityModes: new Set([SECURITY_MODE.PSK, SECURITY_MODE.NOSEC]),
    definition: getObjectDef,
  });
  return [
    ...out,
    ...problems.map((p) => `${at}${whose(p, cfg.servers.length)}: ${named(p)} (a client answers this 4.06 at Bootstrap-Finish)`),
  ];
}

/** "/1/0/1 must be > 0" → "/1/0/1 Lifetime must be > 0". */
function named(problem: string): string {
  return problem.replace(/^\/(\d+)\/(\d+)\/(\d+)/, (all, o: string, _i: string, r: string) => {
    const d = getResourceDef(Number(o), Number(r));
    return d ? `${all} ${d.name}` : all;
  });
}

/** ".servers[n]" for a problem of /0/(n+1) or /1/n, the instances servers[n] is written to. */
function whose(problem: string, servers: number): string {
  const m = /^\/(0|1)\/(\d+)/.exec(problem);
  if (!m) return '';
  const n = m[1] === '0' ? Number(m[2]) - 1 : Number(m[2]);
  return n >= 0 && n < servers ? `.servers[${n}]` : '';
}

/** RFC 4279 keys of fewer than 16 bytes (128 bits) are refused; the message never holds the key. */
function shortKey(hex: string): string | undefined {
  const n = hex.length / 2;
  return n < MIN_PSK_KEY_BYTES ? `the key is ${n} bytes; a PSK needs at least ${MIN_PSK_KEY_BYTES} (128 bits)` : undefined;
}

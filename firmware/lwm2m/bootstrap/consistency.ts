// Bootstrap-Finish consistency check (Core §5.2.5 "Bootstrap and Configuration
// Consistency"): an inconsistent set is answered 4.06 and never becomes the
// running configuration.
import type { ObjectDef, Value } from '../../model/types';
import { asNumber, isMultiple, type ObjectTree } from '../objects/object-tree';
import { OBJ, SEC, SECURITY_MODE, SRV } from '../engine/ids';
import { parseServerUri } from '../registration/server-uri';

export interface ConsistencyOptions {
  /** Objects the client implements; instances of any other object are inconsistent. */
  supportedObjects: ReadonlySet<number>;
  /** Security Modes this client can use: NoSec, and PSK when it has DTLS. */
  supportedSecurityModes: ReadonlySet<number>;
  /** The definition of a supported object (objects/object-registry.ts). */
  definition(objectId: number): ObjectDef | undefined;
}

export const MAX_REPORTED_PROBLEMS = 4;

/** Returns the problems found (empty when consistent), most important first. */
export function checkConsistency(tree: ObjectTree, opts: ConsistencyOptions): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    problems.push(p);
  };

  for (const oid of tree.objects.keys()) {
    if (!opts.supportedObjects.has(oid) && tree.instanceIds(oid).length > 0) add(`/${oid}: object not supported`);
  }

  let bootstrapAccounts = 0;
  const securityBySsid = new Map<number, number>();
  for (const iid of tree.instanceIds(OBJ.SECURITY)) {
    const p = `/0/${iid}`;
    const isBs = tree.value(OBJ.SECURITY, iid, SEC.BOOTSTRAP_SERVER);
    const uri = tree.value(OBJ.SECURITY, iid, SEC.URI);
    const mode = asNumber(tree.value(OBJ.SECURITY, iid, SEC.SECURITY_MODE));
    if (typeof isBs !== 'boolean') {
      add(`${p}/1 missing`);
      continue;
    }
    if (typeof uri !== 'string') {
      add(`${p}/0 missing`);
      continue;
    }
    const parsed = parseServerUri(uri);
    if (!parsed) add(`${p}/0 bad URI`);
    if (mode === undefined) add(`${p}/2 missing`);
    else {
      if (parsed && parsed.secure !== (mode !== SECURITY_MODE.NOSEC)) add(`${p}: security mode ${mode} does not match ${parsed.scheme}`);
      if (!opts.supportedSecurityModes.has(mode))
        add(`${p}: security mode ${modeName(mode)} not supported (${[...opts.supportedSecurityModes].map(modeName).join(', ')} only)`);
      if (
        mode === SECURITY_MODE.PSK &&
        (!nonEmpty(tree.value(OBJ.SECURITY, iid, SEC.PUBLIC_KEY_OR_ID)) || !nonEmpty(tree.value(OBJ.SECURITY, iid, SEC.SECRET_KEY)))
      )
        add(`${p}: PSK identity or key missing`);
    }
    if (isBs) {
      bootstrapAccounts++;
      continue;
    }
    const ssid = asNumber(tree.value(OBJ.SECURITY, iid, SEC.SHORT_SERVER_ID));
    if (ssid === undefined) {
      add(`${p}/10 missing`);
      continue;
    }
    if (!validSsid(ssid)) {
      add(`${p}/10 out of range`);
      continue;
    }
    if (securityBySsid.has(ssid)) add(`${p}: duplicate ssid ${ssid}`);
    securityBySsid.set(ssid, iid);
  }
  if (bootstrapAccounts > 1) add('more than one Bootstrap-Server Account');

  let accounts = 0;
  const serverSsids = new Set<number>();
  for (const iid of tree.instanceIds(OBJ.SERVER)) {
    const p = `/1/${iid}`;
    const ssid = asNumber(tree.value(OBJ.SERVER, iid, SRV.SHORT_SERVER_ID));
    if (ssid === undefined) {
      add(`${p}/0 missing`);
      continue;
    }
    if (!validSsid(ssid)) {
      add(`${p}/0 out of range`);
      continue;
    }
    if (serverSsids.has(ssid)) add(`${p}: duplicate ssid ${ssid}`);
    serverSsids.add(ssid);
    const lifetime = tree.value(OBJ.SERVER, iid, SRV.LIFETIME);
    if (lifetime === undefined) add(`${p}/1 missing`);
    else {
      const bad = lifetimeProblem(lifetime);
      if (bad) add(`${p}/1 ${bad}`);
    }
    const binding = tree.value(OBJ.SERVER, iid, SRV.BINDING);
    if (binding === undefined) add(`${p}/7 missing`);
    else {
      const bad = bindingProblem(binding);
      if (bad) add(`${p}/7 ${bad}`);
    }
    if (!securityBySsid.has(ssid)) add(`${p}: no Security instance with ssid ${ssid}`);
    else accounts++;
  }
  if (accounts === 0) problems.unshift('no LwM2M Server Account');

  problems.push(...typeProblems(tree, opts));
  return problems;
}

/**
 * Lifetime (/1/x/1): seconds, > 0. The 1.2 object text reads 0 as "no expiry"; a 1.1
 * registration carries `lt` with no such meaning (Core 1.1 §6.2.1), so this client takes
 * no 0 — at Bootstrap-Finish and at a Write alike — and client and server agree on the value.
 */
export function lifetimeProblem(v: Value): string | undefined {
  const n = asNumber(v);
  return n === undefined || !Number.isInteger(n) || n <= 0 ? 'must be > 0' : undefined;
}

/** Binding (/1/x/7): letters of Core 1.1 §5.3.1.1 (U M H T S N, Q), UDP among them: this client speaks UDP only. */
export function bindingProblem(v: Value): string | undefined {
  if (typeof v !== 'string' || !/^[UMHTSNQ]+$/.test(v)) return 'bad binding';
  return v.includes('U') ? undefined : `binding ${v} has no UDP`;
}

const MODE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'PSK',
  1: 'RPK',
  2: 'certificate',
  3: 'NoSec',
  4: 'certificate with EST',
});

function modeName(mode: number): string {
  return `${mode} (${MODE_NAMES[mode] ?? 'unknown'})`;
}

function validSsid(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65534;
}

function nonEmpty(v: Value | undefined): boolean {
  return (typeof v === 'string' && v.length > 0) || (v instanceof Uint8Array && v.length > 0);
}

// Writes were decoded against the definitions, so only resources the client
// does not know or that changed shape (single vs multiple) can be off here.
function typeProblems(tree: ObjectTree, opts: ConsistencyOptions): string[] {
  const out: string[] = [];
  for (const oid of opts.supportedObjects) {
    const def = opts.definition(oid);
    if (!def) continue;
    for (const [iid, inst] of tree.instances(oid) ?? []) {
      for (const [rid, v] of inst) {
        const rdef = def.resources.get(rid);
        if (!rdef) out.push(`/${oid}/${iid}/${rid}: unknown resource`);
        else if (rdef.multiple !== isMultiple(v)) out.push(`/${oid}/${iid}/${rid}: wrong shape`);
      }
    }
  }
  return out;
}

/** The 4.06 diagnostic payload: a short, secret-free text. */
export function diagnostic(problems: string[]): string {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).join('; ');
  return problems.length > MAX_REPORTED_PROBLEMS ? `${shown}; +${problems.length - MAX_REPORTED_PROBLEMS} more` : shown;
}

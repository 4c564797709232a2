// Information Reporting interface, client side (Core §5.5, Transport §6.5):
// Observe / Observe-Composite, Notify and Cancel, paced by the notification
// attributes pmin pmax gt lt st epmin epmax (Core §5.1.2). Timing only through
// the injected Timers. Each observation keeps the values it last sent, so
// "changed", "st" and "crossed gt/lt" are judged against what the server saw.
// One file: the pacing timers, the change tests and the notification sending
// all act on the same observation record.
import type { KeptRelation, ObserveRelation, ResponseSpec } from '../../coap/api';
import { Code } from '../../coap/message';
import type { ResourceRecord } from '../../formats/index';
import { formatPath, parsePath, pathStartsWith } from '../../model/path';
import type { DataType, Path, Value } from '../../model/types';
import type { Logger, TimerHandle, Timers } from '../../platform/ports';
import { bytesEqual } from '../../util/bytes';
import { AttributeStore, type AttributeUpdate, type Attributes } from './attributes';
import type { ObjectTree } from '../objects/object-tree';

export type ReadResult = { ok: true; records: ResourceRecord[] } | { ok: false; code: number; reason: string };
export type EncodeResult = { ok: true; spec: ResponseSpec } | { ok: false; code: number; reason: string };

export interface ReportingHost {
  timers: Timers;
  log: Logger;
  tree(): ObjectTree;
  /** Current values under the observed paths (composite: missing paths left out). */
  read(ssid: number, paths: Path[], composite: boolean): ReadResult;
  /** A 2.05 body in `format` (undefined: the default for the path). */
  encode(paths: Path[], composite: boolean, records: ResourceRecord[], format: number | undefined): EncodeResult;
  /** Whether a value under `path` moves by itself, with no change notice (a clock): re-read at least every second. */
  isVolatile(path: Path): boolean;
  /**
   * Queue Mode with the radio off (queue-mode/queue-link.ts): a changed value waits for the next wake instead of
   * waking the radio; only a notification whose pmax (or epmax) is due goes at once. flush() ends the wait.
   */
  deferChanges?(): boolean;
}

export interface ReportingOptions {
  /** Bound on observations across all servers; more are answered 5.03. Default 16. */
  maxObservations?: number;
  /** Bound on (server, path) attribute sets; default 64. */
  maxAttributeSets?: number;
  /** Bound on the stored form of the attribute sets, bytes; default 1024 (about 40 sets of pmin and pmax). */
  maxAttributeBytes?: number;
  /** A confirmable notification at least this often, ms (RFC 7641 §4.5: every 24 h). */
  confirmableInterval?: number;
  /** Send every notification confirmable. Default false (NON, CON when important or periodic). */
  alwaysConfirmable?: boolean;
}

/**
 * An observation as a deep sleep keeps it (lwm2m/queue-mode/sleep-state.ts): its CoAP relation, what it observes and in which
 * format, the values the server last saw (gt/lt/st and "changed" are judged against them) and its times, as ms
 * before the radio went off. Its attributes are the stored ones (reporting/attribute-keeping.ts).
 */
export interface KeptObservation {
  ssid: number;
  relation: KeptRelation;
  paths: string[];
  composite: boolean;
  format: number | undefined;
  last: Array<[string, Value]>;
  sentAgo: number;
  conAgo: number;
  evalAgo: number;
  dirty: boolean;
}

export interface ReportingStats {
  observations: number;
  rejected: number;
  notifications: number;
  confirmable: number;
  cancelled: number;
}

class Observation {
  last = new Map<string, Value>();
  lastSentAt = 0;
  lastConAt = 0;
  lastEvalAt = 0;
  dirty = false;
  timer: TimerHandle | undefined;
  closed = false;
  /** A path whose value moves by itself: re-read at least every second while dirty. */
  readonly volatile: boolean;

  constructor(
    readonly ssid: number,
    readonly paths: Path[],
    readonly composite: boolean,
    readonly format: number | undefined,
    readonly relation: ObserveRelation,
    volatile: boolean,
  ) {
    this.volatile = volatile;
  }

  covers(p: Path): boolean {
    return this.paths.some((q) => pathStartsWith(p, q) || pathStartsWith(q, p));
  }

  get label(): string {
    return this.paths.map(formatPath).join(',');
  }
}

/**
 * The Information Reporting state of the client, in one place: the
 * observations (each with its CoAP relation) and the notification attributes
 * the servers attached with Write-Attributes.
 */
export class InformationReporting {
  readonly attributes: AttributeStore;
  private readonly observations = new Set<Observation>();
  readonly stats: ReportingStats = { observations: 0, rejected: 0, notifications: 0, confirmable: 0, cancelled: 0 };
  private readonly max: number;
  private readonly conInterval: number;

  constructor(
    private readonly host: ReportingHost,
    private readonly o: ReportingOptions = {},
  ) {
    this.max = o.maxObservations ?? 16;
    this.conInterval = o.confirmableInterval ?? 86_400_000;
    this.attributes = new AttributeStore(o.maxAttributeSets ?? 64, o.maxAttributeBytes ?? 1024);
  }

  /** Write-Attributes (Core §5.4.4): the server's attributes at `path`; its observations' timing follows at once. */
  writeAttributes(ssid: number, path: Path, update: AttributeUpdate, type: DataType | undefined): ReturnType<AttributeStore['apply']> {
    const r = this.attributes.apply(ssid, path, update, type);
    if (r.ok) this.attributesChanged(ssid);
    return r;
  }

  get count(): number {
    return this.observations.size;
  }

  /**
   * An Observe (GET Observe=0) or Observe-Composite (FETCH Observe=0): the
   * first 2.05 carries the current value; the relation then lives until
   * cancelled, RST, or a confirmable notification times out.
   */
  observe(
    req: { acceptObserve(): ObserveRelation | null },
    ssid: number,
    paths: Path[],
    composite: boolean,
    format: number | undefined,
  ): ResponseSpec | { code: number; reason: string } {
    const got = this.host.read(ssid, paths, composite);
    if (!got.ok) return { code: got.code, reason: got.reason };
    const enc = this.host.encode(paths, composite, got.records, format);
    if (!enc.ok) return { code: enc.code, reason: enc.reason };
    if (this.observations.size >= this.max) {
      this.stats.rejected++;
      return { code: Code.SERVICE_UNAVAILABLE, reason: 'too many observations' };
    }
    const relation = req.acceptObserve();
    if (!relation) {
      this.stats.rejected++;
      return { code: Code.SERVICE_UNAVAILABLE, reason: 'too many observe relations' };
    }
    const obs = new Observation(
      ssid,
      paths,
      composite,
      format,
      relation,
      paths.some((p) => this.host.isVolatile(p)),
    );
    const now = this.host.timers.now();
    obs.lastSentAt = obs.lastEvalAt = obs.lastConAt = now;
    remember(obs, got.records);
    this.stats.observations++;
    this.adopt(obs);
    this.host.log.debug(`reporting: ssid=${ssid} observes ${obs.label}`);
    return enc.spec;
  }

  private adopt(obs: Observation): void {
    obs.relation.onCancel = (reason) => {
      this.host.log.debug(`reporting: observation ${obs.label} (ssid=${obs.ssid}) ended: ${reason}`);
      this.remove(obs);
    };
    this.observations.add(obs);
    if (obs.volatile) obs.dirty = true;
    this.schedule(obs);
  }

  /** The observations as a deep sleep keeps them (their relations through `relation`); those that cannot be kept are left out. */
  keep(relation: (rel: ObserveRelation) => KeptRelation | null): KeptObservation[] {
    const now = this.host.timers.now();
    const out: KeptObservation[] = [];
    for (const obs of this.observations) {
      const r = obs.closed || !obs.relation.active ? null : relation(obs.relation);
      if (!r) continue;
      out.push({
        ssid: obs.ssid,
        relation: r,
        paths: obs.paths.map(formatPath),
        composite: obs.composite,
        format: obs.format,
        last: [...obs.last],
        sentAgo: now - obs.lastSentAt,
        conAgo: now - obs.lastConAt,
        evalAgo: now - obs.lastEvalAt,
        dirty: obs.dirty,
      });
    }
    return out;
  }

  /**
   * After a deep sleep of `sleptMs`: the observations keep() gave, each on its relation again (`relation` makes it;
   * null drops that observation). A notification that fell due in the sleep (its pmax, a change that waited) goes
   * as its attributes allow. Returns how many were taken back.
   */
  resume(kept: readonly KeptObservation[], relation: (ssid: number, k: KeptRelation) => ObserveRelation | null, sleptMs: number): number {
    const now = this.host.timers.now();
    let n = 0;
    for (const k of kept) {
      if (this.observations.size >= this.max) break;
      const paths = k.paths.map(parsePath);
      if (paths.length === 0 || paths.some((p) => p === undefined)) continue;
      const rel = relation(k.ssid, k.relation);
      if (!rel) continue;
      const ps = paths as Path[];
      const obs = new Observation(
        k.ssid,
        ps,
        k.composite,
        k.format,
        rel,
        ps.some((p) => this.host.isVolatile(p)),
      );
      obs.lastSentAt = now - k.sentAgo - sleptMs;
      obs.lastConAt = now - k.conAgo - sleptMs;
      obs.lastEvalAt = now - k.evalAgo - sleptMs;
      for (const [p, v] of k.last) obs.last.set(p, v);
      obs.dirty = k.dirty;
      this.adopt(obs);
      n++;
    }
    return n;
  }

  /** The radio is on again: changes that waited are notified as their attributes allow (the newest value each). */
  flush(): void {
    for (const obs of [...this.observations]) if (obs.dirty) this.schedule(obs);
  }

  /** When the next notification is due whatever changes (pmax, epmax), ms from now, for a sleeping client. */
  nextDueIn(): number | undefined {
    const now = this.host.timers.now();
    let best: number | undefined;
    for (const obs of this.observations) {
      const a = this.attrs(obs);
      const pmax = pmaxMs(a);
      let at = pmax !== undefined ? obs.lastSentAt + pmax : Infinity;
      if (a.epmax !== undefined && a.epmax > 0) at = Math.min(at, obs.lastEvalAt + a.epmax * 1000);
      if (at !== Infinity && (best === undefined || at - now < best)) best = Math.max(0, at - now);
    }
    return best;
  }

  /** A value at or under `path` changed (DM write, Create/Delete, the application). */
  changed(path: Path): void {
    for (const obs of [...this.observations]) {
      if (!obs.covers(path)) continue;
      obs.dirty = true;
      this.schedule(obs);
    }
  }

  /** Attributes of a server changed: timings are recomputed. */
  attributesChanged(ssid: number): void {
    for (const obs of [...this.observations]) if (obs.ssid === ssid) this.schedule(obs);
  }

  /** End every observation of a server (it registered anew, or its account is gone). */
  dropServer(ssid: number): void {
    for (const obs of [...this.observations])
      if (obs.ssid === ssid) {
        obs.relation.cancel();
        this.remove(obs);
      }
  }

  cancelAll(): void {
    for (const obs of [...this.observations]) {
      obs.relation.cancel();
      this.remove(obs);
    }
  }

  /** Observations of a server, for diagnostics and tests. */
  list(ssid?: number): Array<{ ssid: number; paths: string[] }> {
    return [...this.observations]
      .filter((o) => ssid === undefined || o.ssid === ssid)
      .map((o) => ({ ssid: o.ssid, paths: o.paths.map(formatPath) }));
  }

  private remove(obs: Observation): void {
    if (obs.closed) return;
    obs.closed = true;
    if (obs.timer !== undefined) this.host.timers.clearTimeout(obs.timer);
    obs.timer = undefined;
    if (this.observations.delete(obs)) this.stats.cancelled++;
  }

  /** Pmin/pmax of an observation: composite takes the largest pmin and the smallest pmax among its paths. */
  private attrs(obs: Observation): Attributes {
    const tree = this.host.tree();
    let out: Attributes | undefined;
    for (const p of obs.paths) {
      const a = this.attributes.effective(obs.ssid, p, tree);
      if (!out) {
        out = { ...a };
        continue;
      }
      out.pmin = Math.max(out.pmin ?? 0, a.pmin ?? 0);
      if (a.pmax !== undefined && a.pmax > 0) out.pmax = out.pmax !== undefined && out.pmax > 0 ? Math.min(out.pmax, a.pmax) : a.pmax;
      if (a.epmin !== undefined) out.epmin = Math.max(out.epmin ?? 0, a.epmin);
      if (a.epmax !== undefined) out.epmax = out.epmax !== undefined ? Math.min(out.epmax, a.epmax) : a.epmax;
    }
    return out ?? {};
  }

  // One timer per observation, set for its next moment of interest.
  private schedule(obs: Observation): void {
    if (obs.closed) return;
    if (obs.timer !== undefined) {
      this.host.timers.clearTimeout(obs.timer);
      obs.timer = undefined;
    }
    const a = this.attrs(obs);
    const now = this.host.timers.now();
    const pmin = (a.pmin ?? 0) * 1000;
    const pmax = pmaxMs(a);
    let due = Infinity;
    // A sleeping client's changes wait for its next wake (flush); pmax and epmax still wake it.
    if (obs.dirty && !this.host.deferChanges?.()) {
      let at = obs.lastSentAt + Math.max(pmin, obs.volatile ? 1000 : 0);
      if (a.epmin !== undefined) at = Math.max(at, obs.lastEvalAt + a.epmin * 1000);
      due = Math.min(due, at);
    }
    if (pmax !== undefined) due = Math.min(due, obs.lastSentAt + pmax);
    if (a.epmax !== undefined && a.epmax > 0) due = Math.min(due, obs.lastEvalAt + a.epmax * 1000);
    if (due === Infinity) return;
    obs.timer = this.host.timers.setTimeout(
      () => {
        obs.timer = undefined;
        this.wake(obs);
      },
      Math.max(0, due - now),
    );
  }

  private wake(obs: Observation): void {
    if (obs.closed || !obs.relation.active) {
      this.remove(obs);
      return;
    }
    const a = this.attrs(obs);
    const now = this.host.timers.now();
    const pmin = (a.pmin ?? 0) * 1000;
    const pmax = pmaxMs(a);
    const pmaxDue = pmax !== undefined && now >= obs.lastSentAt + pmax;
    const got = this.host.read(obs.ssid, obs.paths, obs.composite);
    obs.lastEvalAt = now;
    if (!got.ok) {
      // The observed target is gone: an error notification ends the relation (RFC 7641 §4.2).
      this.host.log.info(`reporting: ${obs.label} ${got.reason}; observation ends`);
      obs.relation.notify({ code: got.code }, { confirmable: true }).catch(() => {
        /* relation ends either way */
      });
      this.remove(obs);
      return;
    }
    const verdict = pmaxDue ? { send: true, important: false } : this.judge(obs, got.records, a);
    if (!pmaxDue && verdict.send && this.host.deferChanges?.()) {
      // The radio went off since this was scheduled: the change waits for the next wake.
      obs.dirty = true;
      this.schedule(obs);
      return;
    }
    obs.dirty = obs.volatile;
    if (verdict.send && now >= obs.lastSentAt + pmin) this.send(obs, got.records, verdict.important);
    else if (verdict.send) obs.dirty = true;
    this.schedule(obs);
  }

  /** Should a change be notified? gt/lt/st apply to numeric values of a resource-level observation. */
  private judge(obs: Observation, records: ResourceRecord[], a: Attributes): { send: boolean; important: boolean } {
    const numericRule =
      !obs.composite && obs.paths[0].resourceId !== undefined && (a.gt !== undefined || a.lt !== undefined || a.st !== undefined);
    let changed = records.length !== obs.last.size;
    let important = false;
    let ruleHit = false;
    for (const r of records) {
      const k = formatPath(r.path);
      const old = obs.last.get(k);
      if (!obs.last.has(k) || !sameValue(old!, r.value)) changed = true;
      if (!numericRule) continue;
      const nv = toNum(r.value),
        ov = old === undefined ? undefined : toNum(old);
      if (nv === undefined || ov === undefined) {
        if (!obs.last.has(k)) ruleHit = true;
        continue;
      }
      if (a.gt !== undefined && ov > a.gt !== nv > a.gt) {
        important = true;
        ruleHit = true;
      }
      if (a.lt !== undefined && ov < a.lt !== nv < a.lt) {
        important = true;
        ruleHit = true;
      }
      if (a.st !== undefined && Math.abs(nv - ov) >= a.st && nv !== ov) ruleHit = true;
    }
    if (!numericRule) return { send: changed, important: false };
    return { send: ruleHit, important };
  }

  private send(obs: Observation, records: ResourceRecord[], important: boolean): void {
    const enc = this.host.encode(obs.paths, obs.composite, records, obs.format);
    if (!enc.ok) {
      this.host.log.warn(`reporting: cannot encode ${obs.label}: ${enc.reason}`);
      return;
    }
    const now = this.host.timers.now();
    // Confirmable when important (crossed gt/lt), when asked to, and at least once per interval (RFC 7641 §4.5).
    const confirmable = important || this.o.alwaysConfirmable === true || now - obs.lastConAt >= this.conInterval;
    obs.lastSentAt = now;
    if (confirmable) {
      obs.lastConAt = now;
      this.stats.confirmable++;
    }
    remember(obs, records);
    this.stats.notifications++;
    obs.relation.notify(enc.spec, { confirmable }).catch((e: unknown) => {
      // A CON that timed out or was reset has already ended the relation in the CoAP layer.
      this.host.log.info(`reporting: notification ${obs.label} failed (${(e as Error).message}); observation cancelled`);
      this.remove(obs);
    });
  }
}

/** pmax in ms; undefined when unset, 0, or below pmin (then ignored, Core §5.1.2). */
function pmaxMs(a: Attributes): number | undefined {
  return a.pmax !== undefined && a.pmax > 0 && a.pmax * 1000 >= (a.pmin ?? 0) * 1000 ? a.pmax * 1000 : undefined;
}

function remember(obs: Observation, records: ResourceRecord[]): void {
  obs.last.clear();
  for (const r of records) obs.last.set(formatPath(r.path), r.value);
}

function toNum(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !(a instanceof Uint8Array) &&
    !(b instanceof Uint8Array)
  )
    return a.objectId === b.objectId && a.instanceId === b.instanceId;
  return a === b;
}

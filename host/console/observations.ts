// The observations the console holds (Observe and Observe-Composite), each
// with the numeric values of its notifications over time: the plots of the
// Live view, kept here so a reloaded page still has them.
import type { LwM2MServer, OperationResult, ServerEvent } from '../lwm2m-server';
import type { EventStream } from './event-stream';
import { ApiError } from './http';
import type { NotifyEvent, ObservationJson, Point, ResultJson } from './api-types';
import { resultJson } from './results';
import { formatName } from './terms';

/** Bounds: observations held at once, points kept per observation (older ones drop off the plot). */
const MAX_OBSERVATIONS = 32;
const MAX_POINTS = 600;

const NUMERIC = new Set(['integer', 'unsigned', 'float', 'time']);

function point(r: ResultJson): Point | undefined {
  const values: Record<string, number> = {};
  for (const rec of r.records ?? []) if (rec.type && NUMERIC.has(rec.type) && typeof rec.value === 'number') values[rec.path] = rec.value;
  return Object.keys(values).length ? { t: Date.now(), values } : undefined;
}

interface Held {
  json: ObservationJson;
  cancel(opts?: { passive?: boolean }): Promise<void>;
}

export class Observations {
  private readonly held = new Map<string, Held>();
  private nextId = 1;

  constructor(
    private readonly server: LwM2MServer,
    private readonly stream: EventStream,
  ) {
    server.listeners.add(this.onEvent);
  }

  list(): ObservationJson[] {
    return [...this.held.values()].map((h) => h.json);
  }

  /** Observe one path, or several as one Observe-Composite; a refused Observe holds nothing. */
  async start(
    endpoint: string,
    paths: string[],
    composite: boolean,
    format: number,
  ): Promise<{ observation?: ObservationJson; result: ResultJson }> {
    const same = [...this.held.values()].find((h) => h.json.endpoint === endpoint && h.json.paths.join() === paths.join());
    if (same) throw new ApiError(409, `already observing ${paths.join(', ')} on ${endpoint} (observation ${same.json.id})`);
    if (this.held.size >= MAX_OBSERVATIONS)
      throw new ApiError(409, `the console holds ${MAX_OBSERVATIONS} observations at most; cancel one first`);
    const id = String(this.nextId++);
    let json: ObservationJson | undefined;
    const onNotify = (r: OperationResult) => {
      if (!json) return;
      const result = resultJson(r);
      const p = point(result);
      json.notifications++;
      json.last = result;
      if (p) {
        json.points.push(p);
        if (json.points.length > MAX_POINTS) json.points.shift();
      }
      const e: NotifyEvent = { id, endpoint, at: new Date().toISOString(), result, point: p };
      this.stream.publish('notify', e);
    };
    const o = composite
      ? await this.server.observeComposite(endpoint, paths, onNotify, format)
      : await this.server.observe(endpoint, paths[0], onNotify, format);
    const result = resultJson(o.first);
    if (!result.ok || !o.observation) return { result };
    const first = point(result);
    json = {
      id,
      endpoint,
      paths,
      composite,
      format: formatName(format),
      startedAt: new Date().toISOString(),
      notifications: 0,
      last: result,
      points: first ? [first] : [],
    };
    this.held.set(id, { json, cancel: o.cancel });
    this.stream.publish('observation', json);
    return { observation: json, result };
  }

  /** Cancel: GET with Observe=1 (RFC 7641 §3.6), or passive (forget it; the next notification gets RST). */
  async cancel(id: string, passive: boolean): Promise<void> {
    const h = this.held.get(id);
    if (!h) throw new ApiError(404, `no observation ${id}`);
    this.held.delete(id);
    this.stream.publish('observation-ended', { id, reason: passive ? 'forgotten' : 'cancelled' });
    await h.cancel({ passive });
  }

  // A client that leaves, or registers anew, takes its observations with it (Core §6.3.1: they end
  // with the registration; the client drops them at a new Register): forgotten here, so the same path
  // may be observed again at once.
  private readonly onEvent = (e: ServerEvent): void => {
    let reason: string;
    if (e.type === 'deregistered') reason = `${e.reg.endpoint} ${e.expired ? 'expired' : 'de-registered'}`;
    else if (e.type === 'registered' && e.replaced) reason = `${e.reg.endpoint} registered again`;
    else return;
    for (const [id, h] of this.held) {
      if (h.json.endpoint !== e.reg.endpoint) continue;
      this.held.delete(id);
      this.stream.publish('observation-ended', { id, reason });
      void h.cancel({ passive: true }).catch(() => {});
    }
  };

  close(): void {
    this.server.listeners.delete(this.onEvent);
    for (const h of this.held.values()) void h.cancel({ passive: true }).catch(() => {});
    this.held.clear();
  }
}

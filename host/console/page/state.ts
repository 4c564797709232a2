// What the page knows, filled from the API at load and kept current by the
// server-sent events; views re-render from it.
import type { DeviceJson, InfoJson, ObjectDefJson, ObservationJson, RecordJson, SendJson, SessionJson } from '../api-types';
import { load, save } from './saved';

/** Bound on Send reports the page keeps (the server keeps as many). */
const MAX_SENDS = 100;

export const state = {
  info: undefined as InfoJson | undefined,
  defs: new Map<number, ObjectDefJson>(),
  devices: new Map<string, DeviceJson>(),
  observations: new Map<string, ObservationJson>(),
  sends: [] as SendJson[],
  sessions: new Map<string, SessionJson>(),
  /** Last known value per device and resource path (from reads and notifications), kept across a reload. */
  values: new Map<string, Map<string, RecordJson>>(load<Array<[string, RecordJson]>>('values').map(([ep, recs]) => [ep, new Map(recs)])),
};

/** Bound on values kept per device in the browser. */
const MAX_SAVED_VALUES = 400;

let saving: ReturnType<typeof setTimeout> | undefined;

/** Saves the known values soon after a change (notifications come often: once per burst); `ep` moves to the most recently used. */
export function saveValues(ep: string): void {
  const m = state.values.get(ep);
  if (m) {
    state.values.delete(ep);
    state.values.set(ep, m);
  }
  saving ??= setTimeout(() => {
    saving = undefined;
    save('values', new Map([...state.values].map(([e, v]) => [e, [...v].slice(-MAX_SAVED_VALUES)])));
  }, 300);
}

export function addSend(s: SendJson): void {
  state.sends.push(s);
  if (state.sends.length > MAX_SENDS) state.sends.shift();
}

/** Records that came back for `base`: what was known under it is replaced (a resource that is gone shows as gone). */
export function storeValues(ep: string, base: string | undefined, records: RecordJson[]): void {
  let m = state.values.get(ep);
  if (!m) {
    m = new Map();
    state.values.set(ep, m);
  }
  if (base !== undefined) for (const k of [...m.keys()]) if (k === base || k.startsWith(base === '/' ? '/' : base + '/')) m.delete(k);
  for (const r of records) m.set(r.path, r);
  saveValues(ep);
}

type Topic = 'devices' | 'values' | 'observations' | 'sends' | 'sessions';
const listeners = new Map<Topic, Set<() => void>>();

export function on(topic: Topic, fn: () => void): void {
  let s = listeners.get(topic);
  if (!s) {
    s = new Set();
    listeners.set(topic, s);
  }
  s.add(fn);
}

export function changed(topic: Topic): void {
  for (const fn of listeners.get(topic) ?? []) fn();
}

export function resourceDef(path: string) {
  const [o, , r] = path.split('/').filter(Boolean).map(Number);
  return state.defs.get(o)?.resources.find((d) => d.id === r);
}

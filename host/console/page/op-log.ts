// The result of each operation on a device, newest first: the CoAP code with
// its name, the format that came back, the client's reason on an error, or
// why the console refused to send it at all. Kept across a reload of the page.
import type { DiscoverJson, ResultJson } from '../api-types';
import { ApiFailure } from './api';
import { clock, fill, h } from './dom';
import { showRecords } from './values';
import { load, save } from './saved';

/** Bound on entries kept per device. */
const MAX_ENTRIES = 50;

interface Entry {
  at: number;
  ok: boolean;
  what: string;
  status: string;
  format?: string;
  reason?: string;
  detail?: string;
  pending?: boolean;
}

/** Per device, newest first; kept in localStorage so a reload shows them again. */
const logs = new Map<string, Entry[]>(
  load<Entry[]>('op-log').map(([ep, l]) => [
    ep,
    l
      .filter((e) => typeof e?.what === 'string')
      .map((e) =>
        // An answer the page was reloaded before: it is not coming to this page any more.
        e.pending
          ? { ...e, pending: false, ok: false, status: 'no result seen', reason: 'the page was reloaded before the answer came' }
          : e,
      ),
  ]),
);
let shown: string | undefined;

function persist(ep: string): void {
  const l = logs.get(ep);
  if (l) {
    logs.delete(ep);
    logs.set(ep, l);
  } // most recently used last
  save('op-log', logs);
}

/** An operation's line: a new one, or the one shown while it was pending, filled in place. */
function add(ep: string, e: Entry, into?: Entry): void {
  if (into && logs.get(ep)?.includes(into)) Object.assign(into, { ...e, pending: false });
  else {
    const l = logs.get(ep) ?? [];
    l.unshift(e);
    l.length = Math.min(l.length, MAX_ENTRIES);
    logs.set(ep, l);
  }
  persist(ep);
  if (shown === ep) render(ep);
}

/** An operation sent and not answered yet: shown at once as waiting, filled in by logResult / logFailure. */
export function logPending(ep: string, what: string): Entry {
  const e: Entry = { at: Date.now(), ok: true, what, status: 'waiting for the device…', pending: true };
  add(ep, e);
  return e;
}

export function logResult(ep: string, what: string, r: ResultJson | DiscoverJson, into?: Entry): void {
  const detail =
    'links' in r && r.links
      ? r.links
          .map(
            (l) =>
              `<${l.path}>${Object.entries(l.attributes)
                .map(([k, v]) => `;${k}${v === null ? '' : '=' + v}`)
                .join('')}${l.name ? '  ' + l.name : ''}`,
          )
          .join('\n')
      : 'records' in r && r.records?.length
        ? showRecords(r.records)
        : undefined;
  add(
    ep,
    { at: Date.now(), ok: r.ok, what, status: r.status, format: 'format' in r ? r.format : undefined, reason: r.reason, detail },
    into,
  );
}

/** The console refused the request (4xx: nothing was sent) or the device did not answer (504) or it failed (5xx). */
export function logFailure(ep: string, what: string, e: unknown, into?: Entry): void {
  const status = !(e instanceof ApiFailure)
    ? 'failed'
    : e.status === 504
      ? 'no answer (HTTP 504)'
      : e.status < 500
        ? `not sent (HTTP ${e.status})`
        : `failed (HTTP ${e.status})`;
  add(ep, { at: Date.now(), ok: false, what, status, reason: (e as Error).message }, into);
}

export function render(ep: string): void {
  shown = ep;
  const list = document.getElementById('op-log');
  if (!list) return;
  fill(
    list,
    ...(logs.get(ep) ?? []).map((e) =>
      h(
        'li',
        { class: e.pending ? 'pending' : e.ok ? 'ok' : 'error' },
        h('time', {}, clock(e.at)),
        ' ',
        h('span', { class: 'what' }, e.what),
        ' → ',
        h('span', { class: 'status' }, e.status),
        e.format && h('span', { class: 'format' }, e.format),
        e.reason && h('span', { class: 'reason' }, e.reason),
        e.detail && h('pre', {}, e.detail),
      ),
    ),
  );
}

export function clearShown(): void {
  shown = undefined;
  const list = document.getElementById('op-log');
  if (list) list.replaceChildren();
}

// Every device operation the console offers, as the page runs it: call the
// API, log the outcome, keep the values that came back. A Write is followed
// by a Read of the same path, so what the device now holds is what is shown.
import type { DiscoverJson, ObservationJson, ResultJson } from '../api-types';
import { del, operate } from './api';
import { logFailure, logPending, logResult } from './op-log';
import { changed, state, storeValues } from './state';

const selected = (id: string) => (document.getElementById(id) as HTMLSelectElement | null)?.value || undefined;
/** The format chosen in the device toolbar (Read, Observe), and the one for composite operations. */
const format = () => selected('format');
const compositeFormat = () => selected('composite-format');

/** Runs one operation: shown as waiting at once, then its result or why it failed in the same line. */
async function run<T extends ResultJson | DiscoverJson>(ep: string, what: string, call: () => Promise<T>): Promise<T | undefined> {
  const line = logPending(ep, what);
  try {
    const r = await call();
    logResult(ep, what, r, line);
    return r;
  } catch (e) {
    logFailure(ep, what, e, line);
    return undefined;
  }
}

function keep(ep: string, base: string | undefined, r: ResultJson | undefined): void {
  if (!r?.ok || !r.records) return;
  storeValues(ep, base, r.records);
  changed('values');
}

export async function read(ep: string, path: string): Promise<void> {
  const f = format();
  keep(ep, path, await run(ep, `Read ${path}${f ? ` as ${f}` : ''}`, () => operate<ResultJson>(ep, 'read', { path, format: f })));
}

export async function write(ep: string, path: string, value: string): Promise<void> {
  const r = await run(ep, `Write ${path} = ${value}`, () => operate<ResultJson>(ep, 'write', { path, value }));
  if (r?.ok) await read(ep, path);
}

export async function writeInstance(ep: string, path: string, values: Record<string, string>): Promise<void> {
  const r = await run(ep, `Write ${path} (partial update)`, () => operate<ResultJson>(ep, 'write', { path, values }));
  if (r?.ok) await read(ep, path);
}

export const execute = (ep: string, path: string, args: string) =>
  run(ep, `Execute ${path}${args ? ` (${args})` : ''}`, () => operate<ResultJson>(ep, 'execute', { path, args }));

export const discover = (ep: string, path: string) => run(ep, `Discover ${path}`, () => operate<DiscoverJson>(ep, 'discover', { path }));

export const remove = (ep: string, path: string) => run(ep, `Delete ${path}`, () => operate<ResultJson>(ep, 'delete', { path }));

/** "pmin=1 pmax=60 gt" → { pmin: 1, pmax: 60, gt: null } (a name alone removes it), as the prompt takes them. */
export function parseAttributes(text: string): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const kv of text.split(/[\s,;&]+/).filter(Boolean)) {
    const [k, v] = kv.split('=');
    out[k] = v === undefined ? null : v;
  }
  return out;
}

export const writeAttributes = (ep: string, path: string, text: string) =>
  run(ep, `Write-Attributes ${path} ${text}`, () => operate<ResultJson>(ep, 'attributes', { path, attributes: parseAttributes(text) }));

/** "0=name 1=3.5" → { "0": "name", "1": "3.5" }. */
export function parseAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of text.split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

export const create = (ep: string, path: string, text: string) =>
  run(ep, `Create ${path}`, () => operate<ResultJson>(ep, 'create', { path, values: parseAssignments(text) }));

function held(r: { observation?: ObservationJson } | undefined): void {
  if (!r?.observation) return;
  state.observations.set(r.observation.id, r.observation);
  changed('observations');
}

export async function observe(ep: string, path: string): Promise<void> {
  let r: { observation?: ObservationJson; result: ResultJson } | undefined;
  await run(ep, `Observe ${path}`, async () => {
    r = await operate(ep, 'observe', { path, format: format() });
    return r!.result;
  });
  keep(ep, path, r?.result);
  held(r);
}

export async function cancel(ep: string, o: ObservationJson): Promise<void> {
  try {
    await del(`observations/${o.id}`);
    logResult(ep, `Cancel observation of ${o.paths.join(', ')}`, { code: '', status: 'cancelled', ok: true });
  } catch (e) {
    logFailure(ep, `Cancel observation of ${o.paths.join(', ')}`, e);
  }
  state.observations.delete(o.id);
  changed('observations');
}

const pathList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export async function readComposite(ep: string, paths: string): Promise<void> {
  keep(
    ep,
    undefined,
    await run(ep, `Read-Composite ${paths}`, () =>
      operate<ResultJson>(ep, 'read-composite', { paths: pathList(paths), format: compositeFormat() }),
    ),
  );
}

export async function observeComposite(ep: string, paths: string): Promise<void> {
  let r: { observation?: ObservationJson; result: ResultJson } | undefined;
  await run(ep, `Observe-Composite ${paths}`, async () => {
    r = await operate(ep, 'observe-composite', { paths: pathList(paths), format: compositeFormat() });
    return r!.result;
  });
  keep(ep, undefined, r?.result);
  held(r);
}

export async function writeComposite(ep: string, text: string): Promise<void> {
  const values = parseAssignments(text);
  const r = await run(ep, `Write-Composite ${text}`, () =>
    operate<ResultJson>(ep, 'write-composite', { values, format: compositeFormat() }),
  );
  if (r?.ok) await readComposite(ep, Object.keys(values).join(' '));
}

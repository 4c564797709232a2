// Live: each observation the console holds, its numeric values plotted over
// time (uPlot) as notifications arrive, and the data clients Send to /dp.
import uPlot from 'uplot';
import type { NotifyEvent, ObservationJson } from '../api-types';
import { byId, clock, fill, h } from './dom';
import * as op from './operations';
import { on, resourceDef, state } from './state';
import { showRecords } from './values';

/** As many points as the console keeps per observation (host/console/observations.ts). */
const MAX_POINTS = 600;
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];

interface Chart {
  plot: uPlot;
  series: string[];
  el: HTMLElement;
}
const charts = new Map<string, Chart>();

const seriesOf = (o: ObservationJson) => [...new Set(o.points.flatMap((p) => Object.keys(p.values)))].sort();

/** uPlot's columns: time in seconds, then one column per path (null where a notification lacked it). */
const columns = (o: ObservationJson, series: string[]): uPlot.AlignedData => [
  o.points.map((p) => p.t / 1000),
  ...series.map((s) => o.points.map((p) => p.values[s] ?? null)),
];

function label(path: string): string {
  const [obj, , rid] = path.split('/').filter(Boolean).map(Number);
  const d = state.defs.get(obj)?.resources.find((r) => r.id === rid);
  return d ? `${path} ${d.name}${d.units ? ` (${d.units})` : ''}` : path;
}

/** The x axis spans at least this much (a single sample sits in the middle of it), seconds. */
const MIN_SPAN_S = 60;

const pad2 = (n: number) => String(n).padStart(2, '0');
/** "13:04:05" within a day's span, "05-01 13:04" beyond it: the viewer's local time. */
function timeLabel(seconds: number, spanS: number): string {
  const d = new Date(seconds * 1000);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return spanS > 86_400 ? `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}` : `${hm}:${pad2(d.getSeconds())}`;
}

/** A range of at least `min` around [lo, hi] (uPlot would stretch one value over years). */
function atLeast(lo: number | null, hi: number | null, min: number): [number, number] {
  const a = lo ?? 0,
    b = hi ?? a;
  if (b - a >= min) return [a, b];
  const mid = (a + b) / 2;
  return [mid - min / 2, mid + min / 2];
}

/**
 * One observation's plot: numbers on the left axis; Time resources (seconds since 1970) on a
 * right axis of their own, labelled as times, so they neither dwarf the numbers nor read as
 * 1.8e9. The labels drawn are kept in data-x-labels / data-y-labels / data-time-labels.
 */
function drawChart(o: ObservationJson, el: HTMLElement): void {
  const series = seriesOf(o);
  charts.get(o.id)?.plot.destroy();
  el.replaceChildren();
  el.dataset.points = String(o.points.length);
  if (series.length === 0) {
    charts.delete(o.id);
    el.append(h('p', { class: 'muted' }, 'no numeric values to plot'));
    return;
  }
  const isTime = (path: string) => resourceDef(path)?.type === 'time';
  const numbers = series.some((s) => !isTime(s)),
    times = series.some(isTime);
  const keep = (name: string, labels: string[]) => {
    el.dataset[name] = labels.join('|');
    return labels;
  };
  const axes: uPlot.Axis[] = [
    {
      values: (u, splits) =>
        keep(
          'xLabels',
          splits.map((v) => timeLabel(v, (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0))),
        ),
    },
  ];
  if (numbers)
    axes.push({
      scale: 'y',
      values: (_u, splits) =>
        keep(
          'yLabels',
          splits.map((v) => String(Number(v.toPrecision(6)))),
        ),
    });
  if (times)
    axes.push({
      scale: 'when',
      side: 1,
      size: 70,
      values: (u, splits) =>
        keep(
          'timeLabels',
          splits.map((v) => timeLabel(v, (u.scales.when.max ?? 0) - (u.scales.when.min ?? 0))),
        ),
    });
  const plot = new uPlot(
    {
      width: Math.max(320, (el.clientWidth || 640) - 8),
      height: 220,
      scales: {
        // From the samples themselves: uPlot stretches a single time sample over 1000 days.
        x: {
          time: true,
          range: (u) => {
            const xs = u.data[0];
            return atLeast(xs[0] ?? null, xs[xs.length - 1] ?? null, MIN_SPAN_S);
          },
        },
        ...(times ? { when: { range: (_u: uPlot, lo: number | null, hi: number | null) => atLeast(lo, hi, MIN_SPAN_S) } } : {}),
      },
      axes,
      series: [
        {},
        ...series.map((s, i) => ({
          label: label(s),
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          points: { show: true, size: 5 },
          scale: isTime(s) ? 'when' : 'y',
          ...(isTime(s) ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : timeLabel(v, 0)) } : {}),
        })),
      ],
      legend: { live: false },
      hooks: {
        setScale: [
          (u, key) => {
            if (key === 'x') el.dataset.xSpan = String(Math.round((u.scales.x.max ?? 0) - (u.scales.x.min ?? 0)));
          },
        ],
      },
    },
    columns(o, series),
    el,
  );
  charts.set(o.id, { plot, series, el });
}

function card(o: ObservationJson): HTMLElement {
  const plot = h('div', { class: 'plot', 'data-points': o.points.length });
  const el = h(
    'article',
    { class: 'observation', 'data-observation': o.id },
    h(
      'header',
      {},
      h('strong', {}, o.endpoint),
      ' ',
      h('code', {}, o.paths.join(' ')),
      o.composite && ' (composite)',
      h('span', { class: 'muted' }, ` ${o.format ?? ''}`),
      h('span', { class: 'count' }, ''),
      h('button', { type: 'button', 'data-op': 'cancel', onclick: () => void op.cancel(o.endpoint, o) }, 'Cancel'),
    ),
    plot,
    h('pre', { class: 'last' }),
  );
  return el;
}

function update(o: ObservationJson, el: HTMLElement): void {
  el.querySelector('.count')!.textContent =
    ` · ${o.notifications} notification${o.notifications === 1 ? '' : 's'} since ${clock(o.startedAt)}`;
  el.querySelector('.last')!.textContent = o.last.records
    ? showRecords(o.last.records)
    : `${o.last.status}${o.last.reason ? ': ' + o.last.reason : ''}`;
  const plotEl = el.querySelector<HTMLElement>('.plot')!;
  const c = charts.get(o.id);
  const series = seriesOf(o);
  if (!c || c.series.join() !== series.join() || !plotEl.isConnected || c.el !== plotEl) drawChart(o, plotEl);
  else {
    c.plot.setData(columns(o, series));
    plotEl.dataset.points = String(o.points.length);
  }
}

function renderObservations(): void {
  const list = byId('observations');
  const shown = new Map([...list.querySelectorAll<HTMLElement>('.observation')].map((e) => [e.dataset.observation!, e]));
  for (const [id, e] of shown)
    if (!state.observations.has(id)) {
      e.remove();
      charts.get(id)?.plot.destroy();
      charts.delete(id);
    }
  for (const o of state.observations.values()) {
    let e = shown.get(o.id);
    if (!e) {
      e = card(o);
      list.append(e);
    }
    update(o, e);
  }
  byId('observations-empty').hidden = state.observations.size > 0;
}

export function onNotify(n: NotifyEvent): void {
  const o = state.observations.get(n.id);
  if (!o) return;
  o.notifications++;
  o.last = n.result;
  if (n.point) {
    o.points.push(n.point);
    if (o.points.length > MAX_POINTS) o.points.shift();
  }
  const el = document.querySelector<HTMLElement>(`.observation[data-observation="${n.id}"]`);
  if (el) update(o, el);
}

function renderSends(): void {
  fill(
    byId('sends'),
    ...[...state.sends]
      .reverse()
      .map((s) =>
        h(
          'li',
          {},
          h('time', {}, clock(s.at)),
          ' ',
          h('strong', {}, s.endpoint),
          h('span', { class: 'muted' }, ` ${s.format ?? ''}`),
          h('pre', {}, showRecords(s.records)),
        ),
      ),
  );
  byId('sends-empty').hidden = state.sends.length > 0;
}

/** Charts drawn while the view was hidden have no width: redraw them at the view's size. */
export function liveShown(): void {
  for (const o of state.observations.values()) {
    const c = charts.get(o.id);
    if (c) drawChart(o, c.el);
  }
}

export function initLive(): void {
  on('observations', renderObservations);
  on('sends', renderSends);
  renderObservations();
  renderSends();
}

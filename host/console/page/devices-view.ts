// Devices: the registered clients, live as they register, update and leave;
// one device's registration, history, object tree and operation forms.
import type { DeviceJson } from '../api-types';
import { byId, clock, fill, h } from './dom';
import { objectTree, showObserveButtons, showValues } from './object-tree';
import * as opLog from './op-log';
import * as op from './operations';
import { on, state } from './state';

let current: string | undefined;
/** The objects the tree was built from: rebuilt only when they change, so typed values survive an Update. */
let treeOf = '';

export function showDevice(ep: string | undefined): void {
  current = ep;
  treeOf = '';
  renderList();
  renderDevice();
}

/**
 * The list's order: registered ones first then by name, by name only, or the most recently heard
 * from first (state.devices is kept in the order devices were last heard from: oldest first).
 */
function ordering(how: string): (a: DeviceJson, b: DeviceJson) => number {
  const byName = (a: DeviceJson, b: DeviceJson) => a.endpoint.localeCompare(b.endpoint, undefined, { numeric: true });
  if (how === 'name') return byName;
  if (how === 'recent') {
    const rank = new Map([...state.devices.keys()].map((ep, i) => [ep, i]));
    return (a, b) => rank.get(b.endpoint)! - rank.get(a.endpoint)!;
  }
  return (a, b) => Number(b.registered) - Number(a.registered) || byName(a, b);
}

function renderList(): void {
  const all = [...state.devices.values()];
  const q = byId<HTMLInputElement>('device-search').value.trim().toLowerCase();
  const order = ordering(byId<HTMLSelectElement>('device-sort').value);
  const devices = all.filter((d) => !q || d.endpoint.toLowerCase().includes(q) || `${d.address}:${d.port}`.includes(q)).sort(order);
  const registered = all.filter((d) => d.registered).length;
  byId('device-count').textContent = all.length
    ? `${all.length} · ${registered} registered${devices.length !== all.length ? ` · ${devices.length} shown` : ''}`
    : '';
  fill(
    byId('device-list'),
    ...devices.map((d) =>
      h(
        'li',
        { class: `device${d.registered ? '' : ' gone'}${d.endpoint === current ? ' selected' : ''}`, 'data-endpoint': d.endpoint },
        h(
          'a',
          { href: `#/devices/${encodeURIComponent(d.endpoint)}` },
          h('strong', {}, d.endpoint),
          h('span', { class: 'muted' }, d.registered ? `${d.address}:${d.port}${presence(d)}` : (d.history.at(-1)?.event ?? 'gone')),
        ),
      ),
    ),
  );
  if (all.length === 0) fill(byId('device-list'), h('li', { class: 'muted' }, 'no client has registered yet'));
  else if (devices.length === 0) fill(byId('device-list'), h('li', { class: 'muted' }, `no device matches "${q}"`));
}

const form = (id: string, label: string, placeholder: string, action: string, run: (path: string, values: string) => unknown) => {
  const path = h('input', { name: 'path', placeholder: '/o/i', 'aria-label': `${label} path` });
  const values = h('input', { name: 'values', placeholder, 'aria-label': `${label} values` });
  return h(
    'form',
    {
      id,
      class: 'op-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run(path.value, values.value);
      },
    },
    h('label', {}, label),
    path,
    values,
    h('button', { type: 'submit', 'data-op': action }, label),
  );
};

function renderDevice(): void {
  const panel = byId('device');
  const d = current ? state.devices.get(current) : undefined;
  if (!d) {
    opLog.clearShown();
    fill(panel, h('p', { class: 'muted' }, state.devices.size ? 'Choose a device.' : 'Waiting for a client to register…'));
    return;
  }
  const ep = d.endpoint;
  const formats = state.info?.formats ?? [];
  fill(
    panel,
    h('header', { class: 'device-head' }, h('h2', {}, ep), h('span', { id: 'device-state', class: 'badge' })),
    h('dl', { id: 'registration', class: 'facts' }),
    h(
      'div',
      { class: 'toolbar' },
      h(
        'label',
        {},
        'Read / Observe as ',
        h('select', { id: 'format' }, h('option', { value: '' }, 'default (TLV)'), ...formats.map((f) => h('option', { value: f }, f))),
      ),
      h(
        'label',
        {},
        h('input', {
          type: 'checkbox',
          id: 'show-all',
          onchange: (e: Event) => panel.classList.toggle('show-all', (e.target as HTMLInputElement).checked),
        }),
        ' resources only a Bootstrap-Server can access',
      ),
    ),
    h(
      'div',
      { class: 'device-body' },
      h('div', { id: 'tree-slot' }),
      h(
        'aside',
        { class: 'side' },
        h('section', { class: 'results-pane' }, h('h3', {}, 'Results'), h('ol', { id: 'op-log', class: 'op-log' })),
        h(
          'section',
          { class: 'ops-pane' },
          h('h3', {}, 'Operations'),
          form('form-attributes', 'Write-Attributes', 'pmin=1 pmax=60 gt=5 (a name alone removes it)', 'write-attributes', (p, v) =>
            op.writeAttributes(ep, p, v),
          ),
          form('form-create', 'Create', 'rid=value … (e.g. 5700=21.5)', 'create-send', (p, v) => op.create(ep, p, v)),
          form('form-write-instance', 'Write', 'rid=value … (partial update)', 'write-instance-send', (p, v) =>
            op.writeInstance(ep, p, op.parseAssignments(v)),
          ),
          h(
            'form',
            { id: 'form-composite', class: 'op-form', onsubmit: (e: Event) => e.preventDefault() },
            h('label', {}, 'Composite'),
            h('input', { name: 'paths', placeholder: '/3/0/0 /3/0/13 /1/0/1', 'aria-label': 'composite paths' }),
            h('select', { id: 'composite-format' }, ...(state.info?.compositeFormats ?? []).map((f) => h('option', { value: f }, f))),
            h(
              'button',
              { type: 'button', 'data-op': 'read-composite', onclick: () => void op.readComposite(ep, input('form-composite', 'paths')) },
              'Read-Composite',
            ),
            h(
              'button',
              {
                type: 'button',
                'data-op': 'observe-composite',
                onclick: () => void op.observeComposite(ep, input('form-composite', 'paths')),
              },
              'Observe-Composite',
            ),
            h('input', { name: 'values', placeholder: '/3/0/14=+01:00 /1/0/1=120', 'aria-label': 'composite values' }),
            h(
              'button',
              {
                type: 'button',
                'data-op': 'write-composite',
                onclick: () => void op.writeComposite(ep, input('form-composite', 'values')),
              },
              'Write-Composite',
            ),
          ),
          h('h3', {}, 'Registration history'),
          h('ol', { id: 'history', class: 'history' }),
        ),
      ),
    ),
  );
  opLog.render(ep);
  renderFacts(d);
}

/** " · asleep, 2 queued" for a queue-mode device, "" for others. */
function presence(d: DeviceJson): string {
  if (!d.queueMode) return '';
  const n = d.queued?.length ?? 0;
  return ` · ${d.awake ? 'awake' : 'asleep'}${n ? `, ${n} queued` : ''}`;
}

const input = (form: string, name: string) => document.querySelector<HTMLInputElement>(`#${form} [name=${name}]`)?.value ?? '';

function renderFacts(d: DeviceJson): void {
  const badge = byId('device-state');
  badge.textContent = d.registered ? 'registered' : (d.history.at(-1)?.event ?? 'gone');
  badge.className = `badge ${d.registered ? 'ok' : 'gone'}`;
  const fact = (k: string, v: string | number) => [h('dt', {}, k), h('dd', {}, v)];
  fill(
    byId('registration'),
    ...fact('Address', `${d.address}:${d.port}`),
    ...fact('Location', d.location),
    ...fact('Lifetime', `${d.lifetime} s`),
    ...fact('Binding', d.binding),
    ...fact('LwM2M', d.lwm2mVersion),
    ...(d.queueMode
      ? fact(
          'Queue Mode',
          `${d.awake ? 'awake' : 'asleep'}${d.queued?.length ? `; queued: ${d.queued.map((q) => q.what).join(', ')}` : ''}`,
        )
      : []),
    ...fact('Security', d.security === 'coaps' ? `coaps, PSK identity "${d.pskIdentity ?? ''}"` : 'coap (NoSec)'),
    ...fact('Registered', clock(d.registeredAt)),
    ...fact('Last update', clock(d.lastUpdate)),
    ...fact('Updates', d.updates),
  );
  fill(
    byId('history'),
    ...[...d.history]
      .reverse()
      .map((e) => h('li', {}, h('time', {}, clock(e.at)), ' ', h('strong', {}, e.event), e.detail ? ` — ${e.detail}` : '')),
  );
  const objects = JSON.stringify(d.objects);
  if (objects !== treeOf) {
    treeOf = objects;
    const slot = byId('tree-slot');
    fill(slot, objectTree(d));
    showValues(d.endpoint, slot);
  }
}

export function initDevices(): void {
  byId('device-search').addEventListener('input', renderList);
  byId('device-sort').addEventListener('change', renderList);
  on('devices', () => {
    renderList();
    const d = current ? state.devices.get(current) : undefined;
    if (d && document.getElementById('registration')) renderFacts(d);
    else renderDevice();
  });
  on('values', () => {
    if (current && document.getElementById('tree-slot')) showValues(current, byId('tree-slot'));
  });
  on('observations', () => {
    if (current && document.getElementById('tree-slot')) showObserveButtons(current, byId('tree-slot'));
  });
}

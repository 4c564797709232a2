// A device's objects, instances and resources with names, units, types and
// operations from the object definitions, each with the operations it allows.
import type { DeviceJson, ResourceDefJson } from '../api-types';
import { h } from './dom';
import * as op from './operations';
import { state } from './state';
import { showValue } from './values';

const button = (name: string, label: string, run: () => unknown, title?: string, minor = false) =>
  h(
    'button',
    {
      type: 'button',
      'data-op': name,
      title,
      class: minor ? 'minor' : undefined,
      onclick: () => {
        void run();
      },
    },
    label,
  );

/** Puts a path into one of the device's operation forms (Write-Attributes, Create, instance Write) and focuses it. */
function toForm(form: string, path: string): void {
  const input = document.querySelector<HTMLInputElement>(`#${form} input[name=path]`);
  if (!input) return;
  input.value = path;
  document.querySelector<HTMLInputElement>(`#${form} input[name=values]`)?.focus();
}

const observation = (ep: string, path: string) =>
  [...state.observations.values()].find((o) => o.endpoint === ep && !o.composite && o.paths[0] === path);

function observeButton(ep: string, path: string): HTMLElement {
  const o = observation(ep, path);
  return o
    ? button('cancel', 'Cancel', () => op.cancel(ep, o), 'cancel the observation (GET with Observe=1)')
    : button('observe', 'Observe', () => op.observe(ep, path));
}

const hint = (d: ResourceDefJson) =>
  (
    ({
      integer: '123',
      unsigned: '123',
      float: '1.5',
      boolean: 'true / false',
      time: 'seconds or ISO date',
      opaque: '0x0a1b',
      objlnk: '3:0',
    }) as Record<string, string>
  )[d.type] ?? 'text';

function resourceRow(ep: string, base: string, d: ResourceDefJson): HTMLElement {
  const path = `${base}/${d.id}`;
  const ops = d.operations;
  const value = ops.includes('W')
    ? h('input', { class: 'write-value', name: 'value', placeholder: hint(d), 'aria-label': `new value for ${path}` })
    : undefined;
  const args = ops.includes('E')
    ? h('input', { class: 'exec-args', name: 'args', placeholder: "arguments, e.g. 0='x'", 'aria-label': `arguments for ${path}` })
    : undefined;
  value?.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void op.write(ep, path, value.value);
  });
  // A resource with no operations is for the Bootstrap-Server only (Core §5.2.7): hidden unless asked for.
  return h(
    'tr',
    { 'data-path': path, class: ops ? undefined : 'bootstrap-only' },
    h('td', { class: 'rid' }, d.id),
    h(
      'td',
      { class: 'name', title: d.range ? `range: ${d.range}` : undefined },
      d.name,
      d.mandatory && h('span', { class: 'mandatory', title: 'mandatory' }, '*'),
    ),
    h(
      'td',
      { class: 'type' },
      h('span', { class: 'ops', title: 'operations' }, ops || '–'),
      ' ',
      d.type,
      d.multiple && '[ ]',
      d.units && h('span', { class: 'units' }, ` ${d.units}`),
    ),
    h('td', { class: 'value' }),
    h(
      'td',
      { class: 'actions' },
      ops.includes('R') && button('read', 'Read', () => op.read(ep, path)),
      ops.includes('R') && h('span', { class: 'observe-slot' }, observeButton(ep, path)),
      value,
      value && button('write', 'Write', () => op.write(ep, path, value.value)),
      args,
      args && button('execute', 'Execute', () => op.execute(ep, path, args.value)),
      button('discover', 'Discover', () => op.discover(ep, path), 'Discover: attributes of this resource', true),
      button('attributes', 'Attr…', () => toForm('form-attributes', path), 'Write-Attributes', true),
    ),
  );
}

export function objectTree(d: DeviceJson): HTMLElement {
  const ep = d.endpoint;
  return h(
    'div',
    { class: 'tree' },
    ...d.objects.map((o) => {
      const def = state.defs.get(o.objectId);
      const opath = `/${o.objectId}`;
      return h(
        'section',
        { class: 'object', 'data-object': o.objectId },
        h(
          'header',
          {},
          h('h3', {}, opath, ' ', def?.name ?? 'unknown object', h('small', {}, ` v${o.version ?? def?.version ?? '?'}`)),
          button('read', 'Read', () => op.read(ep, opath)),
          button('discover', 'Discover', () => op.discover(ep, opath)),
          button('observe', 'Observe', () => op.observe(ep, opath)),
          button('create', 'Create…', () => toForm('form-create', opath)),
          button('attributes', 'Attr…', () => toForm('form-attributes', opath), 'Write-Attributes', true),
        ),
        ...o.instances.map((i) => {
          const ipath = `${opath}/${i}`;
          return h(
            'div',
            { class: 'instance', 'data-path': ipath },
            h(
              'header',
              {},
              h('h4', {}, ipath),
              button('read', 'Read', () => op.read(ep, ipath)),
              button('discover', 'Discover', () => op.discover(ep, ipath)),
              h('span', { class: 'observe-slot' }, observeButton(ep, ipath)),
              button('write-instance', 'Write…', () => toForm('form-write-instance', ipath), 'partial update of some resources'),
              button('attributes', 'Attr…', () => toForm('form-attributes', ipath), 'Write-Attributes', true),
              button('delete', 'Delete', () => op.remove(ep, ipath)),
            ),
            def
              ? h(
                  'table',
                  { class: 'resources' },
                  h('thead', {}, h('tr', {}, ...['ID', 'Resource', 'Type', 'Value', ''].map((t) => h('th', {}, t)))),
                  h('tbody', {}, ...def.resources.map((r) => resourceRow(ep, ipath, r))),
                )
              : h('p', { class: 'muted' }, 'no definition for this object: Read shows raw values'),
          );
        }),
      );
    }),
  );
}

/** Shows the last known values in the value cells (a multiple resource lists its instances). */
export function showValues(ep: string, root: ParentNode): void {
  const known = state.values.get(ep) ?? new Map();
  for (const row of root.querySelectorAll<HTMLElement>('tr[data-path]')) {
    const path = row.dataset.path!;
    const cell = row.querySelector('.value')!;
    const own = known.get(path);
    const parts = own
      ? [showValue(own)]
      : [...known.values()].filter((r) => r.path.startsWith(path + '/')).map((r) => `${r.path.slice(path.length + 1)}: ${showValue(r)}`);
    cell.textContent = parts.join('\n');
  }
}

/** Observe / Cancel buttons follow the observations held. */
export function showObserveButtons(ep: string, root: ParentNode): void {
  for (const slot of root.querySelectorAll<HTMLElement>('.observe-slot')) {
    const path = slot.closest<HTMLElement>('[data-path]')?.dataset.path;
    if (path) slot.replaceChildren(observeButton(ep, path));
  }
}

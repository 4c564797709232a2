// Bootstrap: every session the Bootstrap-Server ran, one drawn as a sequence
// diagram, and its configuration for an endpoint (identities, never keys),
// which can be edited: an entry saved is checked as a --config file is, and used
// by the next bootstrap.
import type { EndpointConfigJson } from '../api-types';
import { ApiFailure, del, get, put } from './api';
import { byId, clock, fill, h } from './dom';
import { sequenceDiagram } from './sequence-diagram';
import { on, state } from './state';
import { showValue } from './values';

let current: string | undefined;

export function showSession(id: string | undefined): void {
  current = id;
  render();
}

function render(): void {
  const sessions = [...state.sessions.values()].reverse();
  const chosen = (current && state.sessions.get(current)) || sessions[0];
  fill(
    byId('session-list'),
    ...sessions.map((s) =>
      h(
        'li',
        { class: `session${s === chosen ? ' selected' : ''}`, 'data-session': s.id },
        h(
          'a',
          { href: `#/bootstrap/${s.id}` },
          h('strong', {}, s.endpoint),
          ' ',
          h(
            'span',
            { class: `badge ${s.ok === undefined ? '' : s.ok ? 'ok' : 'error'}` },
            s.ok === undefined ? 'running' : s.ok ? 'finished' : 'failed',
          ),
          h('span', { class: 'muted' }, ` ${clock(s.startedAt)} · ${s.messages.length} messages`),
        ),
      ),
    ),
  );
  if (sessions.length === 0) fill(byId('session-list'), h('li', { class: 'muted' }, 'no bootstrap yet'));
  const slot = byId('session');
  if (!chosen) {
    fill(slot, h('p', { class: 'muted' }, 'A session appears here when a client sends a Bootstrap-Request.'));
    return;
  }
  const discover = chosen.messages.find((m) => m.detail);
  fill(
    slot,
    h(
      'h2',
      {},
      `Bootstrap of ${chosen.endpoint}`,
      h('span', { class: 'muted' }, ` started ${clock(chosen.startedAt)}${chosen.finishedAt ? `, ended ${clock(chosen.finishedAt)}` : ''}`),
    ),
    sequenceDiagram(chosen),
    discover &&
      h(
        'details',
        { class: 'discover' },
        h('summary', {}, 'Bootstrap-Discover answer'),
        h('pre', {}, discover.detail!.replace(/,</g, ',\n<')),
      ),
  );
  const input = document.querySelector<HTMLInputElement>('#config-form input');
  if (input && !input.value) {
    input.value = chosen.endpoint;
    void showConfig(chosen.endpoint);
  }
}

/** The names of the configuration's entries, each a link to show it. */
async function showEntries(): Promise<void> {
  try {
    const c = await get<{ endpoints: Record<string, unknown> }>('bootstrap/config');
    const names = Object.keys(c.endpoints);
    fill(
      byId('config-entries'),
      'Entries: ',
      ...names.flatMap((n, i) => [
        i ? ' ' : '',
        h(
          'button',
          {
            type: 'button',
            class: 'minor entry',
            'data-entry': n,
            onclick: () => {
              input().value = n;
              void showConfig(n);
            },
          },
          n === '*' ? '"*" (any endpoint)' : n,
        ),
      ]),
    );
  } catch (e) {
    fill(byId('config-entries'), h('span', { class: 'error' }, (e as Error).message));
  }
}

const input = () => document.querySelector<HTMLInputElement>('#config-form input')!;

/** The editor for the entry of `ep`: the entry now used for it (its own, or "*" as the start of one of its own). */
function edit(ep: string, c: EndpointConfigJson | undefined): void {
  byId('config-editor').hidden = false;
  byId('config-editor-title').textContent =
    c?.matched === ep ? `Edit the entry for ${ep}` : `New entry for ${ep}${c ? ' (starting from "*")' : ''}`;
  const entry = c?.config ?? {
    servers: [{ uri: `coap://${location.hostname === 'localhost' ? '127.0.0.1' : location.hostname}:5683`, ssid: 101, lifetime: 300 }],
  };
  byId<HTMLTextAreaElement>('config-text').value = JSON.stringify(entry, null, 2);
  byId<HTMLButtonElement>('config-delete').hidden = c?.matched !== ep;
  fill(byId('config-problems'));
  byId('config-editor').dataset.endpoint = ep;
}

async function saveEntry(): Promise<void> {
  const ep = byId('config-editor').dataset.endpoint!;
  const problems = byId('config-problems');
  let entry: unknown;
  try {
    entry = JSON.parse(byId<HTMLTextAreaElement>('config-text').value);
  } catch (e) {
    fill(problems, h('li', {}, `not JSON: ${(e as Error).message}`));
    return;
  }
  try {
    await put<EndpointConfigJson>(`bootstrap/config/${encodeURIComponent(ep)}`, entry);
    byId('config-editor').hidden = true;
    await showEntries();
    await showConfig(ep, `Saved: the next bootstrap of ${ep} uses it.`);
  } catch (e) {
    const lines = (e as Error).message
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^\d+ problems:$/.test(l));
    fill(problems, ...lines.map((l) => h('li', {}, l)));
  }
}

async function deleteEntry(): Promise<void> {
  const ep = byId('config-editor').dataset.endpoint!;
  try {
    await del(`bootstrap/config/${encodeURIComponent(ep)}`);
    byId('config-editor').hidden = true;
    await showEntries();
    await showConfig(ep, `Deleted the entry for ${ep}.`);
  } catch (e) {
    fill(byId('config-problems'), h('li', {}, (e as Error).message));
  }
}

async function showConfig(ep: string, note?: string): Promise<void> {
  const out = byId('config');
  try {
    const c = await get<EndpointConfigJson>(`bootstrap/config/${encodeURIComponent(ep)}`).catch((e: unknown) => {
      if (e instanceof ApiFailure && e.status === 404) return undefined;
      throw e;
    });
    if (!c) {
      fill(
        out,
        note && h('p', { class: 'note' }, note),
        h(
          'p',
          {},
          `No entry for ${ep} (and no "*" entry). `,
          h('button', { type: 'button', 'data-op': 'new-entry', onclick: () => edit(ep, undefined) }, `New entry for ${ep}`),
        ),
      );
      return;
    }
    fill(
      out,
      note && h('p', { class: 'note' }, note),
      h(
        'p',
        {},
        `Entry used for ${c.endpoint}: `,
        h('code', {}, c.matched === '*' ? '"*" (any endpoint)' : c.matched),
        ' ',
        h(
          'button',
          { type: 'button', 'data-op': 'edit-entry', onclick: () => edit(ep, c) },
          c.matched === ep ? 'Edit' : `New entry for ${ep}`,
        ),
      ),
      h(
        'table',
        { class: 'servers' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Server URI', 'Short Server ID', 'Lifetime', 'Binding', 'Security', 'PSK identity'].map((t) => h('th', {}, t))),
        ),
        h(
          'tbody',
          {},
          ...c.config.servers.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, String(s.uri)),
              h('td', {}, String(s.ssid)),
              h('td', {}, s.lifetime === undefined ? '86400 (default)' : `${String(s.lifetime)} s`),
              h('td', {}, String(s.binding ?? 'U')),
              h('td', {}, String(s.securityMode ?? 'nosec')),
              h('td', {}, s.pskIdentity === undefined ? '—' : String(s.pskIdentity)),
            ),
          ),
        ),
      ),
      c.config.bootstrap && h('p', {}, 'Bootstrap-Server Account rewritten: ', h('code', {}, JSON.stringify(c.config.bootstrap))),
      h(
        'details',
        { open: true },
        h('summary', {}, `What a sequence writes (${c.writes.length} resources; keys hidden)`),
        h(
          'table',
          { class: 'writes' },
          h('tbody', {}, ...c.writes.map((w) => h('tr', {}, h('td', {}, w.path), h('td', {}, w.name ?? ''), h('td', {}, showValue(w))))),
        ),
      ),
    );
  } catch (e) {
    fill(out, h('p', { class: 'error' }, (e as Error).message));
  }
}

export function initBootstrap(): void {
  byId('config-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void showConfig(input().value.trim());
  });
  byId('config-save').addEventListener('click', () => void saveEntry());
  byId('config-delete').addEventListener('click', () => void deleteEntry());
  byId('config-cancel').addEventListener('click', () => {
    byId('config-editor').hidden = true;
  });
  void showEntries();
  on('sessions', render);
  render();
}

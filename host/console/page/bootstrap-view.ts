// Bootstrap: every session the Bootstrap-Server ran, one drawn as a sequence
// diagram, and its configuration for an endpoint (identities, never keys).
import type { EndpointConfigJson } from '../api-types';
import { get } from './api';
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
  fill(byId('session-list'), ...sessions.map((s) => h('li', { class: `session${s === chosen ? ' selected' : ''}`, 'data-session': s.id },
    h('a', { href: `#/bootstrap/${s.id}` },
      h('strong', {}, s.endpoint), ' ',
      h('span', { class: `badge ${s.ok === undefined ? '' : s.ok ? 'ok' : 'error'}` }, s.ok === undefined ? 'running' : s.ok ? 'finished' : 'failed'),
      h('span', { class: 'muted' }, ` ${clock(s.startedAt)} · ${s.messages.length} messages`)))));
  if (sessions.length === 0) fill(byId('session-list'), h('li', { class: 'muted' }, 'no bootstrap yet'));
  const slot = byId('session');
  if (!chosen) { fill(slot, h('p', { class: 'muted' }, 'A session appears here when a client sends a Bootstrap-Request.')); return; }
  const discover = chosen.messages.find((m) => m.detail);
  fill(slot,
    h('h2', {}, `Bootstrap of ${chosen.endpoint}`, h('span', { class: 'muted' }, ` started ${clock(chosen.startedAt)}${chosen.finishedAt ? `, ended ${clock(chosen.finishedAt)}` : ''}`)),
    sequenceDiagram(chosen),
    discover && h('details', { class: 'discover' }, h('summary', {}, 'Bootstrap-Discover answer'), h('pre', {}, discover.detail!.replace(/,</g, ',\n<'))));
  const input = document.querySelector<HTMLInputElement>('#config-form input');
  if (input && !input.value) { input.value = chosen.endpoint; void showConfig(chosen.endpoint); }
}

async function showConfig(ep: string): Promise<void> {
  const out = byId('config');
  try {
    const c = await get<EndpointConfigJson>(`bootstrap/config/${encodeURIComponent(ep)}`);
    fill(out,
      h('p', {}, `Entry used for ${c.endpoint}: `, h('code', {}, c.matched === '*' ? '"*" (any endpoint)' : c.matched)),
      h('table', { class: 'servers' },
        h('thead', {}, h('tr', {}, ...['Server URI', 'Short Server ID', 'Lifetime', 'Binding', 'Security', 'PSK identity'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...c.config.servers.map((s) => h('tr', {},
          h('td', {}, String(s.uri)), h('td', {}, String(s.ssid)), h('td', {}, s.lifetime === undefined ? '86400 (default)' : `${String(s.lifetime)} s`),
          h('td', {}, String(s.binding ?? 'U')), h('td', {}, String(s.securityMode ?? 'nosec')), h('td', {}, s.pskIdentity === undefined ? '—' : String(s.pskIdentity)))))),
      c.config.bootstrap && h('p', {}, 'Bootstrap-Server Account rewritten: ', h('code', {}, JSON.stringify(c.config.bootstrap))),
      h('details', { open: true }, h('summary', {}, `What a sequence writes (${c.writes.length} resources; keys hidden)`),
        h('table', { class: 'writes' }, h('tbody', {}, ...c.writes.map((w) => h('tr', {}, h('td', {}, w.path), h('td', {}, w.name ?? ''), h('td', {}, showValue(w))))))));
  } catch (e) {
    fill(out, h('p', { class: 'error' }, (e as Error).message));
  }
}

export function initBootstrap(): void {
  byId('config-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void showConfig(document.querySelector<HTMLInputElement>('#config-form input')!.value.trim());
  });
  on('sessions', render);
  render();
}

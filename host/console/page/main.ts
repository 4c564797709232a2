// The console page: loads what the API knows, follows the server-sent events,
// and shows one view at a time (#/devices[/<ep>], #/live, #/security, #/bootstrap[/<id>]).
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { DeviceJson, InfoJson, NotifyEvent, ObjectDefJson, ObservationJson, PskEntryJson, SendJson, SessionJson } from '../api-types';
import { get } from './api';
import { initBootstrap, showSession } from './bootstrap-view';
import { initDevices, showDevice } from './devices-view';
import { byId } from './dom';
import { initLive, liveShown, onNotify } from './live-view';
import { initSecurity, showPsks } from './security-view';
import { addSend, changed, saveValues, state } from './state';

function route(): void {
  const [view = '', arg] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const available = [
    state.info?.server && 'devices',
    state.info?.server && 'live',
    state.info?.server && 'security',
    state.info?.bootstrap && 'bootstrap',
  ].filter(Boolean) as string[];
  const name = available.includes(view) ? view : available[0];
  for (const v of document.querySelectorAll<HTMLElement>('.view')) v.hidden = v.id !== `view-${name}`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.view === name);
  if (name === 'devices') showDevice(arg ?? (state.devices.size === 1 ? [...state.devices.keys()][0] : undefined));
  if (name === 'live') liveShown();
  if (name === 'bootstrap') showSession(arg);
}

/** Events first, then the current state: nothing that happens between the two is missed. */
function follow(): void {
  const es = new EventSource('/api/events');
  const conn = byId('conn');
  es.onopen = () => {
    conn.textContent = 'live';
    conn.className = 'conn ok';
  };
  es.onerror = () => {
    conn.textContent = 'reconnecting…';
    conn.className = 'conn error';
  };
  const json = <T>(e: Event) => JSON.parse((e as MessageEvent<string>).data) as T;
  // Re-inserted: the map's order is the order devices were last heard from (the list's "last heard from").
  es.addEventListener('device', (e) => {
    const d = json<DeviceJson>(e);
    state.devices.delete(d.endpoint);
    state.devices.set(d.endpoint, d);
    changed('devices');
  });
  es.addEventListener('send', (e) => {
    addSend(json<SendJson>(e));
    changed('sends');
  });
  es.addEventListener('notify', (e) => {
    const n = json<NotifyEvent>(e);
    if (n.result.records) {
      const m = state.values.get(n.endpoint) ?? new Map();
      for (const r of n.result.records) m.set(r.path, r);
      state.values.set(n.endpoint, m);
      saveValues(n.endpoint);
      changed('values');
    }
    onNotify(n);
  });
  es.addEventListener('observation', (e) => {
    const o = json<ObservationJson>(e);
    state.observations.set(o.id, o);
    changed('observations');
  });
  es.addEventListener('observation-ended', (e) => {
    state.observations.delete(json<{ id: string }>(e).id);
    changed('observations');
  });
  es.addEventListener('security', (e) => {
    if (document.getElementById('psk-table')) showPsks(json<PskEntryJson[]>(e));
  });
  es.addEventListener('bootstrap', (e) => {
    const s = json<SessionJson>(e);
    state.sessions.set(s.id, s);
    changed('sessions');
  });
}

async function start(): Promise<void> {
  follow();
  const info = await get<InfoJson>('info');
  state.info = info;
  document.title = `xs-lwm2m console ${info.version}`;
  byId('version').textContent = `v${info.version}`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    a.hidden = a.dataset.view === 'bootstrap' ? !info.bootstrap : !info.server; // devices, live, security: the server's
  }
  for (const d of await get<ObjectDefJson[]>('objects')) state.defs.set(d.id, d);
  if (info.server) {
    const [devices, observations, sends] = await Promise.all([
      get<DeviceJson[]>('devices'),
      get<ObservationJson[]>('observations'),
      get<SendJson[]>('sends'),
    ]);
    for (const d of devices) state.devices.set(d.endpoint, d);
    for (const o of observations) state.observations.set(o.id, o);
    for (const s of sends) addSend(s);
    initDevices();
    initLive();
    await initSecurity();
  }
  if (info.bootstrap) {
    for (const s of await get<SessionJson[]>('bootstrap/sessions')) state.sessions.set(s.id, s);
    initBootstrap();
  }
  window.addEventListener('hashchange', route);
  route();
  document.body.dataset.ready = 'true';
}

void start().catch((e: unknown) => {
  byId('conn').textContent = `cannot load: ${(e as Error).message}`;
});

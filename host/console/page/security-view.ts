// Security: the LwM2M Server's pre-shared keys by endpoint, added, replaced and
// removed at run time. The key is typed in and sent once; it is never shown.
import type { PskEntryJson } from '../api-types';
import { del, get, put } from './api';
import { byId, fill, h } from './dom';

let entries: PskEntryJson[] = [];

function status(text: string, error = false): void {
  const s = byId('psk-status');
  s.textContent = text;
  s.className = error ? 'error' : 'muted';
}

export function showPsks(list: PskEntryJson[]): void {
  entries = list;
  const body = byId('psk-table').querySelector('tbody')!;
  fill(
    body,
    ...entries.map((e) =>
      h(
        'tr',
        { 'data-endpoint': e.endpoint },
        h('td', {}, e.endpoint),
        h('td', {}, e.identity),
        h('td', {}, h('button', { type: 'button', 'data-op': 'remove-psk', onclick: () => void remove(e.endpoint) }, 'Remove')),
      ),
    ),
  );
  if (entries.length === 0)
    fill(body, h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No PSK: every endpoint may register over coap.')));
}

async function remove(ep: string): Promise<void> {
  try {
    await del(`security/${encodeURIComponent(ep)}`);
    status(`${ep}: PSK removed`);
    showPsks(await get<PskEntryJson[]>('security'));
  } catch (e) {
    status((e as Error).message, true);
  }
}

export async function initSecurity(): Promise<void> {
  const form = byId<HTMLFormElement>('psk-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = (n: string) => form.querySelector<HTMLInputElement>(`[name=${n}]`)!;
    const ep = v('endpoint').value.trim();
    void (async () => {
      try {
        const r = await put<PskEntryJson>(`security/${encodeURIComponent(ep)}`, {
          identity: v('identity').value,
          keyHex: v('key').value.trim(),
        });
        v('key').value = '';
        status(`${r.endpoint}: PSK identity "${r.identity}" set; it must register over coaps`);
        showPsks(await get<PskEntryJson[]>('security'));
      } catch (err) {
        status((err as Error).message, true);
      }
    })();
  });
  showPsks(await get<PskEntryJson[]>('security'));
}

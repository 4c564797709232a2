// The devices the LwM2M Server has seen, with their registration history,
// and the data they Sent: what the Devices and Live views show. Fed by the
// server's events; wall-clock times because a person reads them.
import type { ClientRegistration, LwM2MServer, ServerEvent } from '../lwm2m-server';
import type { DeviceJson, HistoryEntry, SendJson } from './api-types';
import { deviceObjects } from './device-objects';
import type { EventStream } from './event-stream';
import { recordsJson } from './results';
import { formatName } from './terms';

/** Bounds: endpoints remembered (registered ones always are), history per device, Send reports kept. */
const MAX_DEVICES = 256;
const MAX_HISTORY = 50;
const MAX_SENDS = 100;

const iso = () => new Date().toISOString();

export class DeviceLog {
  private readonly devices = new Map<string, DeviceJson>();
  readonly sends: SendJson[] = [];

  constructor(
    private readonly server: LwM2MServer,
    private readonly stream: EventStream,
  ) {
    for (const reg of server.clients.values())
      this.devices.set(reg.endpoint, this.snapshot(reg, undefined, 'registered', 'before the console started'));
    server.listeners.add(this.onEvent);
  }

  list(): DeviceJson[] {
    return [...this.devices.values()];
  }
  get(endpoint: string): DeviceJson | undefined {
    return this.devices.get(endpoint);
  }

  private readonly onEvent = (e: ServerEvent): void => {
    if (e.type === 'send') {
      const s: SendJson = { endpoint: e.reg.endpoint, at: iso(), format: formatName(e.contentFormat), records: recordsJson(e.records) };
      this.sends.push(s);
      if (this.sends.length > MAX_SENDS) this.sends.shift();
      this.stream.publish('send', s);
      return;
    }
    const before = this.devices.get(e.reg.endpoint);
    if (e.type === 'queue') {
      if (!before) return;
      const d = { ...before, ...this.presenceJson(e.reg.endpoint) };
      this.devices.set(d.endpoint, d);
      this.stream.publish('device', d);
      return;
    }
    let d: DeviceJson;
    if (e.type === 'registered')
      d = this.snapshot(
        e.reg,
        before,
        'registered',
        `from ${e.reg.peer.address}:${e.reg.peer.port}, lifetime ${e.reg.lifetime} s, binding ${e.reg.binding}, lwm2m ${e.reg.lwm2mVersion}`,
      );
    else if (e.type === 'updated') d = this.snapshot(e.reg, before, 'updated', before ? changes(before, e.reg) : '');
    else if (e.type === 'presence') {
      const queued = this.server.presence.queued(e.reg.endpoint).length;
      d = this.snapshot(e.reg, before, e.awake ? 'awake' : 'asleep', queued ? `${queued} operation${queued === 1 ? '' : 's'} queued` : '');
      d.registeredAt = before?.registeredAt ?? d.registeredAt;
      d.lastUpdate = before?.lastUpdate ?? d.lastUpdate;
    } else {
      d = this.snapshot(
        e.reg,
        before,
        e.expired ? 'expired' : 'de-registered',
        e.expired ? `no Update within the lifetime (${e.reg.lifetime} s)` : '',
      );
      d.registered = false;
    }
    this.devices.delete(d.endpoint); // re-insert: the map's order is most recent last, the eviction order
    this.devices.set(d.endpoint, d);
    for (const [ep, old] of this.devices) {
      if (this.devices.size <= MAX_DEVICES) break;
      if (!old.registered) this.devices.delete(ep);
    }
    this.stream.publish('device', d);
  };

  private snapshot(reg: ClientRegistration, before: DeviceJson | undefined, event: HistoryEntry['event'], detail: string): DeviceJson {
    const now = iso();
    const history = [...(before?.history ?? []), { at: now, event, detail }].slice(-MAX_HISTORY);
    return {
      endpoint: reg.endpoint,
      registered: true,
      location: `/rd/${reg.id}`,
      address: reg.peer.address,
      port: reg.peer.port,
      lifetime: reg.lifetime,
      binding: reg.binding,
      lwm2mVersion: reg.lwm2mVersion,
      security: reg.secure ? 'coaps' : 'coap',
      ...(reg.pskIdentity !== undefined ? { pskIdentity: reg.pskIdentity } : {}),
      registeredAt: event === 'registered' ? now : (before?.registeredAt ?? now),
      lastUpdate: now,
      updates: reg.updates,
      objects: deviceObjects(reg.links),
      history,
      ...(reg.queueMode ? this.presenceJson(reg.endpoint) : {}),
    };
  }

  private presenceJson(ep: string): Pick<DeviceJson, 'queueMode' | 'awake' | 'queued'> {
    return {
      queueMode: true,
      awake: this.server.presence.isAwake(ep),
      queued: this.server.presence
        .queued(ep)
        .map((q) => ({ what: q.what, since: new Date(Date.now() - (this.server.now() - q.since)).toISOString() })),
    };
  }

  close(): void {
    this.server.listeners.delete(this.onEvent);
  }
}

/** What an Update changed, in words ("lifetime 60 → 120 s, objects"); "no change" for a plain Update. */
function changes(before: DeviceJson, reg: ClientRegistration): string {
  const out: string[] = [];
  if (before.lifetime !== reg.lifetime) out.push(`lifetime ${before.lifetime} → ${reg.lifetime} s`);
  if (before.binding !== reg.binding) out.push(`binding ${before.binding} → ${reg.binding}`);
  if (before.address !== reg.peer.address || before.port !== reg.peer.port) out.push(`address ${reg.peer.address}:${reg.peer.port}`);
  if (JSON.stringify(before.objects) !== JSON.stringify(deviceObjects(reg.links))) out.push('objects');
  return out.length ? out.join(', ') : 'no change';
}

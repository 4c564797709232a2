// Each bootstrap sequence as the list of messages between the client and the
// Bootstrap-Server, with the codes, the Discover answer and the 4.06
// diagnostic: what the sequence diagram of the Bootstrap view draws.
import type { Peer } from '../../firmware/coap/api';
import type { BootstrapEvent, BootstrapServer } from '../bootstrap-server';
import type { MessageJson, SessionJson } from './api-types';
import type { EventStream } from './event-stream';
import { codeName, formatName } from './terms';

/** Bounds: sessions kept (oldest dropped), messages per session (two rounds of a long configuration fit). */
const MAX_SESSIONS = 50;
const MAX_MESSAGES = 128;

const METHODS: Record<string, string> = { Delete: 'DELETE', Write: 'PUT', Discover: 'GET', Read: 'GET', Finish: 'POST' };

const peerText = (p: Peer | undefined) => (p ? `${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.port}` : undefined);

export class BootstrapSessions {
  readonly sessions: SessionJson[] = [];
  /** The open session per endpoint (the Bootstrap-Server runs one sequence per endpoint at a time). */
  private readonly open = new Map<string, SessionJson>();
  private nextId = 1;

  constructor(
    private readonly bs: BootstrapServer,
    private readonly stream: EventStream,
  ) {
    bs.listeners.add(this.onEvent);
  }

  private begin(endpoint: string, origin: SessionJson['origin'], peer: Peer | undefined, at: string): SessionJson {
    const s: SessionJson = { id: String(this.nextId++), endpoint, origin, peer: peerText(peer), startedAt: at, messages: [] };
    this.open.set(endpoint, s);
    this.sessions.push(s);
    if (this.sessions.length > MAX_SESSIONS) this.sessions.shift();
    return s;
  }

  private readonly onEvent = (e: BootstrapEvent): void => {
    const at = new Date().toISOString();
    let s = this.open.get(e.endpoint);
    if (e.type === 'request') {
      s = this.begin(e.endpoint, 'client', e.peer, at);
      const code = e.code ?? '2.04';
      s.messages.push({
        at,
        from: 'client',
        operation: 'Bootstrap-Request',
        method: 'POST',
        path: `/bs?ep=${e.endpoint}`,
        code,
        status: codeName(code),
      });
    } else if (e.type === 'step') {
      s ??= this.begin(e.endpoint, 'server', e.peer, at);
      s.peer ??= peerText(e.peer);
      if (s.messages.length < MAX_MESSAGES) {
        const m: MessageJson = {
          at,
          from: 'server',
          operation: e.operation,
          method: METHODS[e.operation] ?? '',
          path: e.path,
          code: e.code,
          status: codeName(e.code),
        };
        if (e.contentFormat !== undefined) m.format = formatName(e.contentFormat);
        if (e.reason) m.reason = e.reason;
        if (e.detail) m.detail = e.detail;
        s.messages.push(m);
      }
    } else {
      s ??= this.begin(e.endpoint, 'server', undefined, at);
      s.finishedAt = at;
      s.ok = e.ok;
      if (e.diagnostic) s.diagnostic = e.diagnostic;
      this.open.delete(e.endpoint);
    }
    this.stream.publish('bootstrap', s);
  };

  close(): void {
    this.bs.listeners.delete(this.onEvent);
  }
}

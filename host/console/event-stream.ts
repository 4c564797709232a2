// Server-sent events (text/event-stream) to the open pages: one named event
// per change (device, notify, send, bootstrap, observation).
import type { ServerResponse } from 'node:http';

/** Bound on open streams; a page beyond it gets 503 rather than an unbounded set. */
const MAX_STREAMS = 32;
/** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export class EventStream {
  private readonly open = new Set<ServerResponse>();
  private readonly keepalive = setInterval(() => {
    for (const r of this.open) r.write(': keepalive\n\n');
  }, KEEPALIVE_MS);

  constructor() {
    this.keepalive.unref();
  }

  attach(res: ServerResponse): boolean {
    if (this.open.size >= MAX_STREAMS) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    return true;
  }

  publish(event: string, data: unknown): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const r of this.open) r.write(text);
  }

  close(): void {
    clearInterval(this.keepalive);
    for (const r of this.open) r.end();
    this.open.clear();
  }
}

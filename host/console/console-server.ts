// The web console: one node:http server for the page, its JSON API and the
// server-sent events, over a LwM2M Server, a Bootstrap-Server or both.
// It can write to devices, so it listens on 127.0.0.1 unless told otherwise,
// and on loopback it answers only requests addressed to a loopback name
// (a page elsewhere cannot reach it through DNS rebinding).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { CoapError, CoapResetError, CoapTimeoutError } from '../../firmware/coap/errors';
import type { Logger } from '../../firmware/platform/ports';
import type { BootstrapServer } from '../bootstrap-server';
import type { LwM2MServer } from '../lwm2m-server';
import type { InfoJson } from './api-types';
import { BootstrapApi } from './bootstrap-api';
import { EventStream } from './event-stream';
import { ApiError, readJson, sendJson } from './http';
import { objectDefsJson } from './object-defs';
import { pageAssets } from './page-assets';
import { ServerApi } from './server-api';
import { SecurityApi } from './security-api';
import { COMPOSITE_FORMATS, FORMAT_IDS } from './terms';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const DEFAULT_ADDRESS = '127.0.0.1';

export interface ConsoleOptions {
  server?: LwM2MServer;
  bootstrap?: BootstrapServer;
  /** TCP port; 0 for an ephemeral one. */
  port: number;
  /** Default 127.0.0.1. */
  address?: string;
  log?: Logger;
}

export interface WebConsole {
  readonly url: string;
  /** The address it listens on (127.0.0.1 unless told otherwise). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopback = (address: string) => address === '::1' || address.startsWith('127.') || address === 'localhost';

/** A failure of the device exchange, as the HTTP status a script can act on. */
function statusOf(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (e instanceof CoapTimeoutError) return new ApiError(504, `the device did not answer: ${msg}`);
  if (e instanceof CoapResetError) return new ApiError(502, `the device reset the request: ${msg}`);
  if (e instanceof CoapError) return new ApiError(503, msg);
  if (/is not registered/.test(msg)) return new ApiError(404, msg);
  if (/^cannot encode|^bad path/.test(msg)) return new ApiError(400, msg);
  return new ApiError(500, msg);
}

export async function startConsole(o: ConsoleOptions): Promise<WebConsole> {
  const address = o.address ?? DEFAULT_ADDRESS;
  const stream = new EventStream();
  const serverApi = o.server ? new ServerApi(o.server, stream) : undefined;
  const bootstrapApi = o.bootstrap ? new BootstrapApi(o.bootstrap, stream) : undefined;
  const securityApi = o.server ? new SecurityApi(o.server.psk, stream) : undefined;
  void pageAssets().catch((e: unknown) => o.log?.error(`console: the page did not bundle: ${(e as Error).message}`));

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const parts = url.pathname.slice('/api/'.length).split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'events' && parts.length === 1 && method === 'GET') {
      if (!stream.attach(res)) sendJson(res, 503, { error: 'too many open event streams' });
      return;
    }
    let answer: unknown;
    if (parts[0] === 'info' && parts.length === 1 && method === 'GET') {
      const info: InfoJson = {
        name: 'xs-lwm2m',
        version: VERSION,
        server: !!serverApi,
        bootstrap: !!bootstrapApi,
        formats: Object.keys(FORMAT_IDS),
        compositeFormats: [...COMPOSITE_FORMATS],
      };
      answer = info;
    } else if (parts[0] === 'objects' && parts.length === 1 && method === 'GET') answer = objectDefsJson();
    else {
      answer = await serverApi?.handle(method, parts, url.searchParams, () => readJson(req));
      answer ??= await securityApi?.handle(method, parts, () => readJson(req));
      answer ??= await bootstrapApi?.handle(method, parts, () => readJson(req));
    }
    if (answer === undefined) throw new ApiError(404, `no API route ${method} ${url.pathname}`);
    sendJson(res, 200, answer);
  };

  const page = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'the page is read with GET');
    const asset = (await pageAssets()).get(url.pathname === '/index.html' ? '/' : url.pathname);
    if (!asset) throw new ApiError(404, `no such file ${url.pathname}`);
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  const http = createServer((req, res) => {
    const host = req.headers.host ?? '';
    const hostname = host.replace(/:\d+$/, '');
    const run = async () => {
      if (isLoopback(address) && !LOOPBACK_NAMES.has(hostname))
        throw new ApiError(403, `the console answers requests to 127.0.0.1 or localhost, not to ${host || 'no Host'}`);
      const url = new URL(req.url ?? '/', 'http://console');
      await (url.pathname.startsWith('/api/') ? api(req, res, url) : page(req, res, url));
    };
    run().catch((e: unknown) => {
      const err = statusOf(e);
      if (err.status >= 500) o.log?.warn(`console: ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) sendJson(res, err.status, { error: err.message });
      else res.end();
    });
  });
  http.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, address, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shown = address.includes(':') ? `[${address}]` : address === '0.0.0.0' ? '127.0.0.1' : address;
  return {
    url: `http://${shown}:${port}/`,
    address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        serverApi?.close();
        bootstrapApi?.close();
        stream.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

// JSON in and out over node:http, and the one error shape of the API:
// { "error": "<reason>" } with a 4xx (bad input) or 5xx (the device did not answer).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bound on a request body: the largest API input is a composite write of a few dozen values. */
export const MAX_BODY = 64 * 1024;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The JSON object of a POST. A Content-Type other than application/json is refused: a page on another
 *  origin cannot send that without a CORS preflight, which this server never grants. */
export async function readJson(req: IncomingMessage): Promise<Json> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'send the body as Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, `body larger than ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw new ApiError(400, `body is not JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'body must be a JSON object');
  return body as Json;
}

/** A named field of a JSON body, checked. */
export function field(body: Json, name: string, kind: 'string' | 'boolean' | 'object' | 'array', required = true): unknown {
  const v = body[name];
  if (v === undefined) {
    if (required) throw new ApiError(400, `"${name}" is missing`);
    return undefined;
  }
  const ok =
    kind === 'array' ? Array.isArray(v) : kind === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === kind;
  if (!ok) throw new ApiError(400, `"${name}" must be ${kind === 'array' ? 'an array' : kind === 'object' ? 'an object' : `a ${kind}`}`);
  return v;
}

// The console's HTTP API as the page calls it. A 4xx/5xx comes back as an
// ApiFailure carrying the server's reason ({ "error": "…" }).

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({ error: `HTTP ${res.status}` }))) as T & { error?: string };
  if (!res.ok) throw new ApiFailure(res.status, data.error ?? `HTTP ${res.status}`);
  return data;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);

/** POST /api/devices/<ep>/<operation>. */
export const operate = <T>(ep: string, operation: string, body: unknown) => post<T>(`devices/${encodeURIComponent(ep)}/${operation}`, body);

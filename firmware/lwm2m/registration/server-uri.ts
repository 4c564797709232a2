// LwM2M Server URI (/0/x/0) parsing: coap[s]://host[:port][/path].
// Only the UDP schemes are served by this client (Transport spec §5).

export interface ServerUri {
  scheme: 'coap' | 'coaps';
  host: string; // IP literal without brackets, or a host name to resolve
  port: number;
  secure: boolean;
}

const DEFAULT_PORT = Object.freeze({ coap: 5683, coaps: 5684 } as const);

export function parseServerUri(uri: string): ServerUri | undefined {
  const m = /^(coaps?):\/\/(\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]+)(?::(\d{1,5}))?(\/[^?#]*)?$/.exec(uri);
  if (!m) return undefined;
  const scheme = m[1] as 'coap' | 'coaps';
  let host = m[2];
  if (host.startsWith('[')) host = host.slice(1, -1);
  const port = m[3] !== undefined ? Number(m[3]) : DEFAULT_PORT[scheme];
  if (port < 1 || port > 65535) return undefined;
  return { scheme, host, port, secure: scheme === 'coaps' };
}

export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** Compare transport addresses; a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. */
export function sameAddress(a: string, b: string): boolean {
  return normaliseAddress(a) === normaliseAddress(b);
}

export function normaliseAddress(a: string): string {
  const s = a.toLowerCase();
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

// Host name → IPv4 literal through lwIP's resolver (`Net.resolve`), for
// server URIs that name a host. The ECMA-419 UDP socket only takes IP
// literals. lwIP bounds concurrent look-ups itself; when its queue is full
// Net.resolve throws and the look-up reports undefined (the client retries).
// `localhost` is the loopback address without asking anyone (RFC 6761 §6.3):
// the Linux runtime's resolver answers it with ::1 first, which the SDK's
// look-up drops as not IPv4, and lwIP has no hosts file.
import Net from 'net';

const LOOPBACK = '127.0.0.1';

export function resolveHost(host: string): Promise<string | undefined> {
  if (host.toLowerCase() === 'localhost') return Promise.resolve(LOOPBACK);
  return new Promise((resolve) => {
    try {
      Net.resolve(host, (_name, address) => resolve(typeof address === 'string' && address.length > 0 ? address : undefined));
    } catch {
      resolve(undefined);
    }
  });
}

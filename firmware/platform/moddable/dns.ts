// Host name → IPv4 literal through lwIP's resolver (`Net.resolve`), for
// server URIs that name a host. The ECMA-419 UDP socket only takes IP
// literals. lwIP bounds concurrent look-ups itself; when its queue is full
// Net.resolve throws and the look-up reports undefined (the client retries).
import Net from 'net';

export function resolveHost(host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      Net.resolve(host, (_name, address) => resolve(typeof address === 'string' && address.length > 0 ? address : undefined));
    } catch {
      resolve(undefined);
    }
  });
}

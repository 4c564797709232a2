// Where the client's accounts are reached: a server URI's host resolved to
// an address, and the peer secured with the account's credentials when the
// URI is coaps:// (Core §7.1: Security Mode of /0/x/2, keys of /0/x/3, /0/x/5).
import type { Peer } from '../../coap/api';
import type { DtlsMux } from '../../dtls/mux';
import type { Logger } from '../../platform/ports';
import { accountSecurity, serverAccounts } from '../registration/accounts';
import type { ObjectTree } from '../objects/object-tree';
import { isIpLiteral, type ServerUri } from '../registration/server-uri';

export type ResolveHost = (host: string) => Promise<string | undefined>;

/** The URI's peer: an IP literal as it is, `localhost` without a look-up when there is none, else the look-up. */
export async function resolvePeer(uri: ServerUri, resolveHost: ResolveHost | undefined): Promise<Peer | undefined> {
  if (isIpLiteral(uri.host)) return { address: uri.host, port: uri.port };
  if (uri.host === 'localhost' && !resolveHost) return { address: '127.0.0.1', port: uri.port };
  const address = await resolveHost?.(uri.host);
  return address ? { address, port: uri.port } : undefined;
}

/**
 * A coaps:// account's peer speaks DTLS with the account's PSK from now on;
 * a coap:// one stays plain. False, with a log line (never the key), when
 * the account cannot be used: a security mode or credentials this client lacks.
 */
export function securePeer(
  tree: ObjectTree,
  secure: DtlsMux | undefined,
  log: Logger,
  peer: Peer,
  securityInstance: number,
  uri: ServerUri,
): boolean {
  const sec = accountSecurity(tree, securityInstance);
  if (sec.kind === 'nosec') {
    secure?.release(peer.address, peer.port);
    return true;
  }
  const what = `${uri.scheme}://${uri.host}:${uri.port} (/0/${securityInstance})`;
  if (sec.kind === 'unusable') {
    log.error(`client: ${what}: ${sec.reason}`);
    return false;
  }
  if (!secure) {
    log.error(`client: ${what} needs DTLS, which this client was built without`);
    return false;
  }
  secure.secure(peer.address, peer.port, sec);
  return true;
}

/** Where a Package URI's file is fetched from (Core E.6): coaps with the PSK of the server that wrote the URI. */
export async function packagePeer(
  tree: ObjectTree,
  secure: DtlsMux | undefined,
  resolveHost: ResolveHost | undefined,
  uri: ServerUri,
  ssid: number,
): Promise<Peer | string> {
  const peer = await resolvePeer(uri, resolveHost);
  if (!peer) return `cannot resolve ${uri.host}`;
  if (!uri.secure) return secure?.isSecured(peer.address, peer.port) ? `${uri.host}:${uri.port} speaks coaps` : peer;
  const acct = serverAccounts(tree).find((a) => a.ssid === ssid);
  const sec = acct ? accountSecurity(tree, acct.securityInstance) : undefined;
  if (!secure || sec?.kind !== 'psk') return `no PSK of ssid=${ssid} to fetch a coaps Package URI with`;
  secure.secure(peer.address, peer.port, sec);
  return peer;
}

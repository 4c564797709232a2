// The peers this client serves, as the CoAP stack asks about them before it
// decodes a request (PeerAdmission): the Bootstrap-Server, and the LwM2M
// Servers that hold a Registration. Anyone else is ignored by the client
// anyway (Core §5.2.7, §5.4), so the stack drops their requests unread and
// they cost no deduplication entry, no block-wise session, no handler run.
// The client's routing (engine/client.ts) still applies its finer rules (during a
// bootstrap sequence only the Bootstrap-Server) to what gets through.
import type { Peer } from '../../coap/api';
import { samePeer, type ServerSet } from '../registration/server-set';
import type { Registration } from '../registration/registration';

/** The server holding a Registration that `peer` is, if any (the client routes the request it admitted to it). */
export function registeredServer(peer: Peer, servers: ServerSet): Registration | undefined {
  const regs = servers.all;
  for (let i = 0; i < regs.length; i++) {
    const r = regs[i]!;
    if (r.state === 'registered' && samePeer(peer, r.peer)) return r;
  }
  return undefined;
}

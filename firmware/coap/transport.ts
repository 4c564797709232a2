// The seam between the CoAP stack and the datagrams under it. Below is any
// DatagramTransport (platform/ports): UDP, or a DTLS transport that wraps UDP
// with the same interface and can name the security identity of a peer
// (the PSK identity of its session), so the layers above can route by
// identity rather than by address. The stack itself never looks inside.
import type { DatagramTransport, Logger } from '../platform/ports';
import type { EndpointStats, Peer } from './api';

/** A datagram transport that knows who is behind an address (a DTLS session's PSK identity). */
export interface IdentifyingTransport extends DatagramTransport {
  identityOf(address: string, port: number): string | undefined;
}

function identifies(t: DatagramTransport): t is IdentifyingTransport {
  return typeof (t as Partial<IdentifyingTransport>).identityOf === 'function';
}

/** The key tables of the stack use for a peer: its address and port (RFC 7252 §4.4, §5.3.2). */
export function peerKey(peer: Peer): string {
  return `${peer.address}/${peer.port}`;
}

export class TransportSeam {
  constructor(
    private readonly transport: DatagramTransport,
    private readonly stats: EndpointStats,
    private readonly log: Logger,
    private readonly trace?: (direction: 'in' | 'out', datagram: Uint8Array, peer: Peer) => void,
  ) {}

  /** Starts delivering datagrams, each with its sender as a Peer. */
  listen(deliver: (data: Uint8Array, peer: Peer) => void): void {
    const t = this.transport;
    const onDatagram = this.trace
      ? (data: Uint8Array, peer: Peer) => {
          this.traced('in', data, peer);
          deliver(data, peer);
        }
      : deliver;
    t.onReceive = identifies(t)
      ? (data, address, port) => {
          const identity = t.identityOf(address, port);
          onDatagram(data, identity === undefined ? { address, port } : { address, port, identity });
        }
      : (data, address, port) => onDatagram(data, { address, port });
  }

  send(bytes: Uint8Array, peer: Peer): void {
    this.stats.sent++;
    if (this.trace) this.traced('out', bytes, peer);
    try {
      this.transport.send(bytes, peer.address, peer.port);
    } catch (e) {
      this.log.warn(`coap: send to ${peer.address}:${peer.port} failed: ${(e as Error).message}`);
    }
  }

  /** A tracer that throws does not take the datagram with it. */
  private traced(direction: 'in' | 'out', data: Uint8Array, peer: Peer): void {
    try {
      this.trace!(direction, data, peer);
    } catch {
      /* the trace is for people; the stack goes on */
    }
  }

  /** A confirmable message to this peer went unanswered to the end (RFC 7252 §4.2): tell the transport. */
  unresponsive(peer: Peer): void {
    try {
      this.transport.peerUnresponsive?.(peer.address, peer.port);
    } catch (e) {
      this.log.warn(`coap: transport: ${(e as Error).message}`);
    }
  }

  /** Stops delivering; the transport itself belongs to whoever opened it. */
  detach(): void {
    if (this.transport.onReceive) this.transport.onReceive = null;
  }
}

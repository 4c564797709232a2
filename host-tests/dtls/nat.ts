// A client's socket behind a NAT, on the in-memory network: to its user the
// same DatagramTransport throughout, while the source port the network (and
// so the server) sees can change under it, as a NAT rebinding does.
import type { DatagramTransport } from '../../firmware/platform/ports';
import type { MemoryNetwork } from '../support/memory-network';

export class RebindingSocket implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  private inner: DatagramTransport;

  constructor(
    private readonly net: MemoryNetwork,
    readonly address: string,
    public port: number,
  ) {
    this.inner = this.open();
  }

  /** From now on the datagrams leave from (and only reach us at) `port`; the old port is gone. */
  rebind(port: number): void {
    this.inner.close();
    this.port = port;
    this.inner = this.open();
  }

  send(data: Uint8Array, address: string, port: number): void {
    this.inner.send(data, address, port);
  }

  close(): void {
    this.inner.close();
  }

  private open(): DatagramTransport {
    const t = this.net.bind(this.address, this.port);
    t.onReceive = (d, a, p) => this.onReceive?.(d, a, p);
    return t;
  }
}

// Interop with Eclipse Leshan (Californium's Scandium DTLS) over coaps, as to the DTLS
// Connection ID. The Leshan 2.0.0-M4 demo server has "-cid on" (6 bytes) by default, but
// its Scandium (Californium 2.6, 2021) speaks the pre-RFC draft: connection_id is
// extension 53 there, RFC 9146 made it 54 (and changed the MAC input). So no CID is
// negotiated with it; what this checks is that our RFC 9146 offer does no harm: Leshan
// ignores it, records stay in the RFC 6347 format, and a NAT rebinding (a UDP relay
// that changes its outside port) is survived the pre-CID way: networkChanged() resumes
// the session from the new port (abbreviated handshake), the Update and a Read /3/0 get
// through. A Leshan release with Californium 3 would negotiate the CID: then the first
// case fails, on purpose, to say that this file should check the CID path instead.
// Needs Java 17 + Maven (interop/fetch-leshan.sh).
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';

import type { ClientEvent, LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { startNodeClient } from '../../host/runtime';
import { silentLogger } from '../../firmware/platform/ports';
import { LESHAN_VERSION, ensureLeshan, resourceValue, startLeshanServer, stopAllJava, type LeshanServerHandle } from './leshan/harness';
import { StepSummary } from './summary';

const summary = new StepSummary();

function bound(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** A NAT on loopback: the client talks to `insidePort`; the target sees the client at `outsidePort`, which rebind() changes. */
class NatRelay {
  private inside!: Socket;
  private outside!: Socket;
  private client: { address: string; port: number } | null = null;

  constructor(private readonly target: { address: string; port: number }) {}

  get insidePort(): number {
    return this.inside.address().port;
  }
  get outsidePort(): number {
    return this.outside.address().port;
  }

  async open(): Promise<this> {
    this.inside = await bound();
    this.inside.on('message', (m, from) => {
      this.client = { address: from.address, port: from.port };
      this.outside.send(m, this.target.port, this.target.address);
    });
    await this.rebind();
    return this;
  }

  /** A new outside port; the old one is gone (what reaches it is lost). */
  async rebind(): Promise<void> {
    const old = this.outside;
    this.outside = await bound();
    this.outside.on('message', (m) => {
      if (this.client) this.inside.send(m, this.client.port, this.client.address);
    });
    old?.close();
  }

  close(): void {
    this.inside?.close();
    this.outside?.close();
  }
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`Leshan ${LESHAN_VERSION} over coaps: our RFC 9146 Connection ID offer and a NAT rebinding`, function () {
  this.timeout(60_000);
  const EP = 'xs-lwm2m-cid';
  const PSK = { identity: `${EP}-id`, key: Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i) };
  let server: LeshanServerHandle;
  let relay: NatRelay | undefined;
  let client: LwM2MClient | undefined;
  const events: ClientEvent[] = [];

  before(async function () {
    this.timeout(12 * 60_000);
    await ensureLeshan();
    this.timeout(120_000);
    server = await startLeshanServer();
  });

  after(async function () {
    this.timeout(30_000);
    await client?.stop().catch(() => undefined);
    relay?.close();
    await stopAllJava();
    summary.print(`Leshan ${LESHAN_VERSION}, DTLS Connection ID offer: summary`, 'cid interop');
  });

  it('our client offers a CID and registers over coaps through the NAT; Leshan (draft CID only) answers without one', async () => {
    await summary.step('our client: CID offered, registered, records plain', async () => {
      await server.rest.setPsk(EP, PSK.identity, PSK.key);
      relay = await new NatRelay({ address: server.host, port: server.coapsPort }).open();
      client = await startNodeClient({
        endpointName: EP,
        serverUri: `coaps://127.0.0.1:${relay.insidePort}`,
        psk: PSK,
        log: silentLogger,
        onEvent: (e) => events.push(e),
      });
      const reg = await server.rest.waitForRegistration(EP, 30_000);
      assert.equal(reg.secure, true);
      const info = client.secure!.dtls.sessionInfo('127.0.0.1', relay.insidePort)!;
      assert.equal(info.connectionId, null, 'Leshan answered connection_id (54): check the CID path here now');
      const st = client.secure!.dtls.stats;
      assert.equal(st.cidRecordsOut + st.cidRecordsIn, 0);
      const r = await server.rest.read(EP, '/3/0', { format: 'TLV' });
      assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
      return `no CID negotiated (${info.cipherSuiteName}); Leshan sees us at :${relay.outsidePort}`;
    });
  });

  it('after a NAT rebinding, networkChanged() resumes the session from the new port; the Update and a Read /3/0 get through', async () => {
    await summary.step('NAT rebinding without CID: resumption, Update, Read /3/0', async () => {
      const c = client!;
      const st = c.secure!.dtls.stats;
      const [handshakes, resumed] = [st.handshakesCompleted, st.handshakesResumed];
      const before = (await server.rest.getClient(EP))!.address;
      await relay!.rebind();
      const updates = events.filter((e) => e.type === 'updated').length;
      c.networkChanged();
      await until(() => events.filter((e) => e.type === 'updated').length > updates, 20_000, 'the Update (2.04)');
      const after = (await server.rest.getClient(EP))!.address;
      assert.ok(after.endsWith(`:${relay!.outsidePort}`), `Leshan's registration address ${after}`);
      const r = await server.rest.read(EP, '/3/0', { format: 'TLV' });
      assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
      assert.equal(resourceValue(r.content, 0), 'xs-lwm2m');
      assert.equal(st.handshakesCompleted, handshakes + 1, 'one new handshake');
      assert.equal(st.handshakesResumed, resumed + 1, 'an abbreviated one');
      return `${before} → ${after}; a resumption`;
    });
  });
});

// LwM2M over coaps with a DTLS Connection ID (RFC 9146), in virtual time:
// a client registered over DTLS whose source port changes under it (a NAT
// rebinding) keeps its session: the next Registration Update goes in a CID
// record, the server's session and registration follow it to the new port,
// and a server Read reaches it there, with no new handshake. Without CID, the
// same change costs a handshake (the old behaviour).
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import type { ClientOptions } from '../../firmware/lwm2m/engine/client-options';
import { openRig, type Rig } from '../support/rig';
import { RebindingSocket } from '../dtls/nat';

const CLIENT_ADDRESS = '127.0.0.1';
const FIRST_PORT = 40000;
const NEW_PORT = 40001;

describe('coaps with a Connection ID: a NAT rebinding keeps the DTLS session', function () {
  let rig: Rig;
  let nat: RebindingSocket;
  afterEach(async () => {
    await rig?.close();
    nat?.close();
  });

  /** Our client behind a NAT (the rig's own socket stays unused), bootstrapped and registered over coaps. */
  async function registeredBehindNat(dtls: ClientOptions['dtls'] = { crypto: nodeCrypto }): Promise<void> {
    rig = await openRig({ kind: 'memory', coaps: true });
    nat = new RebindingSocket(rig.net!, CLIENT_ADDRESS, FIRST_PORT);
    rig.client = rig.newClient({ transport: nat, dtls });
    rig.client.start();
    await rig.expect(() => rig.client.state === 'registered', 'registration over coaps', 20_000);
    await rig.advance(20);
  }

  const serverHandshakes = (): number => rig.server.dtls!.stats.handshakesStarted;
  const clientHandshakes = (): number => rig.client.secure!.dtls.stats.handshakesStarted;

  it('the periodic Registration Update from the new port: same session, registration and session moved, the server reads /3/0 there', async () => {
    await registeredBehindNat();
    const info = rig.server.dtls!.sessionInfo(CLIENT_ADDRESS, FIRST_PORT)!;
    assert.equal(info.connectionId?.receive.length, 12, 'the server gave the client a 6-byte CID');
    const [sh, ch] = [serverHandshakes(), clientHandshakes()];
    nat.rebind(NEW_PORT);
    const updates = rig.count('updated');
    // The client knows nothing of the rebinding: its next Update (lifetime-driven) simply goes out.
    await rig.expect(() => rig.count('updated') > updates, 'a Registration Update', 400_000);
    const reg = rig.server.clients.get('node-1')!;
    assert.equal(reg.peer.port, NEW_PORT);
    assert.equal(rig.server.dtls!.stats.peerAddressChanges, 1);
    assert.ok(rig.server.dtls!.sessionInfo(CLIENT_ADDRESS, NEW_PORT));
    const r = await rig.settle(rig.server.read('node-1', '/3/0'));
    assert.equal(r.code, '2.05');
    assert.equal(r.records?.find((x) => x.path.resourceId === 0)?.value, 'Test');
    assert.equal(serverHandshakes(), sh, 'no new handshake at the server');
    assert.equal(clientHandshakes(), ch, 'no new handshake at the client');
    assert.equal(rig.server.dtls!.stats.amplificationDrops, 0);
  });

  it('networkChanged() after a rebinding keeps a CID session: the Update goes at once, over the same session', async () => {
    await registeredBehindNat();
    const [sh, ch] = [serverHandshakes(), clientHandshakes()];
    nat.rebind(NEW_PORT);
    const updates = rig.count('updated');
    rig.client.networkChanged();
    await rig.expect(() => rig.count('updated') > updates, 'a Registration Update', 10_000);
    assert.equal(rig.server.clients.get('node-1')!.peer.port, NEW_PORT);
    const r = await rig.settle(rig.server.read('node-1', '/3/0/0'));
    assert.equal(r.code, '2.05');
    assert.equal(serverHandshakes(), sh);
    assert.equal(clientHandshakes(), ch);
  });

  it('without CID (the client opts out), the same rebinding costs a new handshake before the Update gets through', async () => {
    await registeredBehindNat({ crypto: nodeCrypto, connectionId: false });
    assert.equal(rig.server.dtls!.sessionInfo(CLIENT_ADDRESS, FIRST_PORT)!.connectionId, null);
    const ch = clientHandshakes();
    nat.rebind(NEW_PORT);
    const updates = rig.count('updated');
    rig.client.networkChanged();
    await rig.expect(() => rig.count('updated') > updates, 'a Registration Update', 10_000);
    assert.equal(rig.server.clients.get('node-1')!.peer.port, NEW_PORT);
    assert.equal(clientHandshakes(), ch + 1);
    assert.equal(rig.server.dtls!.stats.peerAddressChanges, 0);
  });
});

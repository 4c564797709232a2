// LwM2M over coaps (DTLS 1.2 with pre-shared keys, Transport §5.2): the
// client bootstraps and registers over DTLS with our Bootstrap-Server and
// LwM2M Server, on loopback UDP and in virtual time, also on a lossy network.
import assert from 'node:assert/strict';
import { Code, encodeMessage, Type } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { OBJ, SEC } from '../../firmware/lwm2m/engine/ids';
import { accountSecurity } from '../../firmware/lwm2m/registration/accounts';
import type { Logger } from '../../firmware/platform/ports';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { toHex } from '../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { silentLogger } from '../../firmware/platform/ports';
import { RIG_BS_PSK_KEY, openRig, rigServerPskKey, type Rig, type RigKind } from '../support/rig';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

/** Every log line, to look for secrets and for what the client says. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (tag: string) => (m: string) => {
    lines.push(`${tag} ${m}`);
  };
  return { lines, error: put('E'), warn: put('W'), info: put('I'), debug: put('D') };
}

/** No key, as hex or as its bytes, in any log line. */
function assertNoKeys(lines: string[], keys: Uint8Array[]): void {
  for (const k of keys) {
    const hex = toHex(k);
    const raw = String.fromCharCode(...k);
    for (const l of lines) {
      assert.ok(!l.toLowerCase().includes(hex), `key as hex in: ${l}`);
      assert.ok(!l.includes(raw), `key bytes in: ${l}`);
    }
  }
}

const KIND_NAMES: Record<RigKind, string> = {
  udp: 'loopback UDP',
  memory: 'in-memory network, virtual time',
  lossy: 'in-memory network, 30 % loss, 10 % duplication, virtual time',
};

for (const kind of ['udp', 'memory'] as RigKind[]) {
  describe(`coaps: bootstrap and registration over DTLS with PSK (${KIND_NAMES[kind]})`, function () {
    let rig: Rig;
    afterEach(async () => {
      await rig?.close();
    });

    it('LightweightM2M-1.1-int-1 over coaps: Bootstrap-Request, Writes, Finish and Register each over DTLS; the server reads /3/0', async () => {
      const log = recordingLogger();
      rig = await openRig({ kind, coaps: true, log });
      rig.client.start();
      await rig.expect(() => rig.client.state === 'registered', 'registration over coaps', 20_000);
      // Nothing went in the clear: no datagram on the wire decodes as CoAP.
      assert.deepEqual(rig.requests(), []);
      const ok = rig.bsEvents.filter((e) => e.type === 'step').map((e) => e.type === 'step' && `${e.operation} ${e.code}`);
      assert.deepEqual(ok, ['Delete 2.02', 'Write 2.04', 'Write 2.04', 'Discover 2.05', 'Finish 2.04']);
      const reg = rig.server.clients.get('node-1')!;
      assert.equal(reg.secure, true);
      assert.equal(reg.pskIdentity, 'node-1');
      // The committed Security instance is a coaps PSK account with the key the Bootstrap-Server wrote.
      const acct = rig.client.running
        .instanceIds(OBJ.SECURITY)
        .find((i) => rig.client.running.value(OBJ.SECURITY, i, SEC.SHORT_SERVER_ID) === 101)!;
      const sec = accountSecurity(rig.client.running, acct);
      assert.equal(sec.kind, 'psk');
      assert.deepEqual(sec.kind === 'psk' && [...sec.key], [...rigServerPskKey(0)]);
      await rig.advance(20);
      const r = await rig.settle(rig.server.read('node-1', '/3/0'));
      assert.equal(r.code, '2.05');
      assert.equal(r.records?.find((x) => x.path.resourceId === 0)?.value, 'Test');
      // Two handshakes (Bootstrap-Server, LwM2M Server); the Bootstrap-Server's session ended after Finish.
      const st = rig.client.secure!.dtls.stats;
      assert.equal(st.handshakesCompleted, 2);
      assert.equal(rig.bs!.dtls!.sessionCount, 0, 'the Bootstrap-Server session was closed after Finish');
      assertNoKeys(log.lines, [RIG_BS_PSK_KEY, rigServerPskKey(0)]);
    });

    it('De-register ends the DTLS session with close_notify', async () => {
      rig = await openRig({ kind, coaps: true, registered: true });
      const closed: string[] = [];
      rig.server.dtls!.onSessionClosed = (e) => closed.push(e.reason);
      await rig.settle(rig.client.stop());
      await rig.expect(() => closed.length === 1, 'the server session closing');
      assert.deepEqual(closed, ['close_notify']);
      assert.equal(rig.server.clients.size, 0);
    });
  });
}

describe('coaps in virtual time: resumption, refusals, secrets', function () {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  it('after a network change the client resumes its session (abbreviated handshake) and its Update gets through', async () => {
    // Without a Connection ID (a CID session is kept instead: coaps-cid.test.ts).
    rig = await openRig({
      kind: 'memory',
      coaps: true,
      registered: true,
      bootstrap: 'factory',
      client: { dtls: { crypto: nodeCrypto, connectionId: false } },
    });
    const st = rig.client.secure!.dtls.stats;
    assert.equal(st.handshakesCompleted, 1);
    assert.equal(st.handshakesResumed, 0);
    const updates = rig.count('updated');
    rig.client.networkChanged();
    await rig.expect(() => rig.count('updated') > updates, 'an Update after the network change', 20_000);
    assert.equal(st.handshakesCompleted, 2);
    assert.equal(st.handshakesResumed, 1, 'the second handshake resumed the session');
    assert.equal(rig.server.dtls!.stats.handshakesResumed, 1);
  });

  it('a server that lost its DTLS state (restart without close_notify): once CoAP gives up, a new handshake, and the client registers again', async () => {
    rig = await openRig({ kind: 'memory', coaps: true, registered: true, bootstrap: 'factory' });
    const [address, port] = rig.serverAddr[0]!.split('/');
    // The old server vanishes silently: its close_notify never reaches the client.
    rig.net!.setLink({ loss: 1 }, rig.serverAddr[0], rig.clientAddr);
    rig.server.close();
    rig.net!.setLink({ loss: 0 }, rig.serverAddr[0], rig.clientAddr);
    const events: ServerEvent[] = [];
    const psk = new PskStore();
    psk.set('node-1', 'node-1', rigServerPskKey(0));
    const fresh = new LwM2MServer({
      transport: rig.net!.bind(address!, 5683),
      timers: rig.timers,
      random: rig.random,
      log: silentLogger,
      psk,
      onEvent: (e) => events.push(e),
      coaps: { transport: rig.net!.bind(address!, Number(port)), crypto: nodeCrypto },
    });
    try {
      rig.client.registeredServers[0]!.triggerUpdate();
      await rig.expect(() => events.some((e) => e.type === 'registered'), 'a new Registration at the restarted server', 600_000);
      assert.ok(
        fresh.dtls!.stats.noSession + fresh.dtls!.stats.unknownCid > 0,
        'the Update on the old session was dropped by the new server',
      );
      assert.equal(fresh.clients.get('node-1')?.secure, true);
    } finally {
      fresh.close();
    }
  });

  it('a server that knows another key: every handshake fails with an alert, the client never registers and says why, no key logged', async () => {
    const log = recordingLogger();
    rig = await openRig({ kind: 'memory', coaps: true, bootstrap: 'factory', log });
    const wrong = Uint8Array.from({ length: 16 }, () => 0x5a);
    rig.server.psk.set('node-1', 'node-1', wrong);
    rig.client.start();
    await rig.advance(60_000);
    assert.equal(rig.client.registeredServers.length, 0);
    assert.equal(rig.server.clients.size, 0);
    assert.ok(rig.client.secure!.dtls.stats.handshakesFailed >= 1);
    assert.ok(
      log.lines.some((l) => /dtls: client handshake with 127\.0\.0\.3:5684 failed: .*alert/.test(l)),
      log.lines.filter((l) => l.includes('dtls')).join('\n'),
    );
    assertNoKeys(log.lines, [wrong, rigServerPskKey(0)]);
  });

  it('an identity that belongs to another endpoint registers nothing (4.03)', async () => {
    rig = await openRig({ kind: 'memory', coaps: true, bootstrap: 'factory' });
    // The server holds node-1's key under another endpoint's name: the handshake succeeds, the registration does not.
    rig.server.psk.delete('node-1');
    rig.server.psk.set('someone-else', 'node-1', rigServerPskKey(0));
    rig.client.start();
    await rig.advance(10_000);
    assert.equal(rig.server.clients.size, 0);
    assert.equal(rig.client.secure!.dtls.stats.handshakesCompleted, 1);
    assert.equal(rig.client.registeredServers.length, 0);
  });

  it('an endpoint with a PSK at the server may not register over plain coap (4.03)', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    rig.server.psk.set('node-1', 'node-1', rigServerPskKey(0));
    rig.client.start();
    await rig.advance(10_000);
    assert.equal(rig.server.clients.size, 0);
    const answers = rig.wire.filter((w) => w.from === rig.serverAddr[0] && w.message.code === Code.FORBIDDEN);
    assert.ok(answers.length >= 1, 'the Register was answered 4.03');
  });

  it("a plaintext request from a secured server's address is dropped by DTLS, never served", async () => {
    rig = await openRig({ kind: 'memory', coaps: true, registered: true, bootstrap: 'factory' });
    const [address, port] = rig.serverAddr[0]!.split('/');
    const sent: Uint8Array[] = [];
    const send = rig.clientTransport.send.bind(rig.clientTransport);
    rig.clientTransport.send = (d, a, p) => {
      sent.push(d);
      send(d, a, p);
    };
    const dropsBefore = rig.client.secure!.dtls.stats.badRecords;
    const get = encodeMessage({
      type: Type.CON,
      code: Code.GET,
      messageId: 4242,
      token: Uint8Array.of(1, 2),
      options: [{ number: 11, value: utf8Encode('3') }],
      payload: new Uint8Array(0),
    });
    rig.clientTransport.onReceive!(get, address!, Number(port));
    await rig.advance(100);
    assert.equal(sent.length, 0, 'no answer to the plaintext request');
    assert.ok(rig.client.secure!.dtls.stats.badRecords > dropsBefore, 'counted as a bad record');
  });

  it('the Bootstrap-Server refuses a plain Bootstrap-Request from an endpoint that has a PSK there (4.03)', async () => {
    rig = await openRig({ kind: 'memory', coaps: true });
    // The client is told the plain port of the Bootstrap-Server instead.
    const client = rig.newClient({ factory: { bootstrap: { uri: 'coap://127.0.0.2:5685' } } });
    rig.client = client;
    client.start();
    await rig.advance(5_000);
    assert.equal(rig.bsEvents.length, 0);
    const refused = rig.wire.filter((w) => w.from === '127.0.0.2/5685' && w.message.code === Code.FORBIDDEN);
    assert.ok(refused.length >= 1);
  });

  it('without DTLS a coaps account is inconsistent at Bootstrap-Finish (4.06 naming the mode); RPK is refused with DTLS too', async () => {
    for (const [dtls, mode, expect] of [
      [false, 0, 'security mode 0 (PSK) not supported (3 (NoSec) only)'],
      [true, 1, 'security mode 1 (RPK) not supported (0 (PSK), 3 (NoSec) only)'],
    ] as const) {
      rig = await openRig({ kind: 'memory', bootstrap: 'manual', client: dtls ? { dtls: { crypto: nodeCrypto } } : {} });
      let finish = '';
      const writes = [
        { path: { objectId: 0, instanceId: 1, resourceId: 0 }, value: 'coaps://127.0.0.3:5684' },
        { path: { objectId: 0, instanceId: 1, resourceId: 1 }, value: false },
        { path: { objectId: 0, instanceId: 1, resourceId: 2 }, value: mode },
        { path: { objectId: 0, instanceId: 1, resourceId: 3 }, value: utf8Encode('node-1') },
        { path: { objectId: 0, instanceId: 1, resourceId: 5 }, value: rigServerPskKey(0) },
        { path: { objectId: 0, instanceId: 1, resourceId: 10 }, value: 101 },
      ];
      const srv = [
        { path: { objectId: 1, instanceId: 0, resourceId: 0 }, value: 101 },
        { path: { objectId: 1, instanceId: 0, resourceId: 1 }, value: 300 },
        { path: { objectId: 1, instanceId: 0, resourceId: 7 }, value: 'U' },
      ];
      rig.setManualHandler((req) => {
        if (req.path[0] !== 'bs') return { code: Code.NOT_FOUND };
        const peer = req.peer;
        void (async () => {
          const put = async (oid: number, recs: typeof writes) => {
            const enc = formats.encode(ContentFormat.TLV, { objectId: oid }, recs);
            assert.ok(enc.ok);
            return rig.manualBs!.request(peer, {
              method: Code.PUT,
              path: [String(oid)],
              contentFormat: ContentFormat.TLV,
              payload: enc.value,
            });
          };
          await put(0, writes);
          await put(1, srv as typeof writes);
          const res = await rig.manualBs!.request(peer, { method: Code.POST, path: ['bs'] });
          finish = `${res.code} ${utf8Decode(res.payload)}`;
        })();
        return { code: Code.CHANGED };
      });
      rig.client.start();
      await rig.expect(() => finish !== '', 'Bootstrap-Finish answered', 20_000);
      assert.equal(finish, `${Code.NOT_ACCEPTABLE} /0/1: ${expect}`);
      await rig.close();
    }
  });
});

describe('coaps on a lossy network (30 % loss, 10 % duplication, virtual time)', function () {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: bootstrap and registration over DTLS complete; the server reads /3/0`, async () => {
      const rig = await openRig({ kind: 'lossy', coaps: true, seed });
      try {
        rig.client.start();
        await rig.expect(() => rig.client.state === 'registered', 'registration over coaps', 3_600_000);
        await rig.advance(20);
        const r = await rig.settle(rig.server.read('node-1', '/3/0'));
        assert.equal(r.code, '2.05');
      } finally {
        await rig.close();
      }
    });
  }
});

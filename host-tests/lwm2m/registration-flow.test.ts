// Registration, fallback and timing flows in virtual time, plus
// the "ignore" rules of Core §5.2.7 / §5.4.
import assert from 'node:assert/strict';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { CoapTimeoutError } from '../../firmware/coap/errors';
import { ContentFormat } from '../../firmware/formats/index';
import { OBJ } from '../../firmware/lwm2m/engine/ids';
import { silentLogger } from '../../firmware/platform/ports';
import { utf8Encode } from '../../firmware/util/utf8';
import { openRig, type Rig, type RigKind } from '../support/rig';

const peerOf = (rig: Rig) => ({ address: rig.clientTransport.address, port: rig.clientTransport.port });

describe('registration flows (in-memory network, virtual time)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  it('LightweightM2M-1.1-int-101/102: Register carries ep, lt, lwm2m=1.1, b=U and the object list; Update at max(lt/2, lt − 93 s)', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    const t0 = rig.clock!.now();
    const srv = `${rig.serverUris[0].slice(7).replace(':', '/')}`;
    const reg = rig.wire.find((w) => w.to === srv && w.message.code === Code.POST);
    assert.ok(reg);
    assert.deepEqual(
      rig.requests((w) => w.to === srv),
      ['POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U'],
    );
    const payload = new TextDecoder().decode(reg.message.payload);
    assert.match(payload, /^<\/>;rt="oma\.lwm2m";ct="0 42 60 110 112 11542 11543",<\/1>;ver=1\.1,<\/1\/0>,/);
    assert.doesNotMatch(payload, /<\/0/, 'the Security object is never listed');
    assert.match(payload, /<\/3\/0>/);
    // lt=300: Update at 207 s, then every 207 s.
    await rig.advance(206_000);
    assert.equal(rig.requests((w) => w.to === srv).length, 1);
    await rig.advance(2_000);
    const upd = rig.wire.filter((w) => w.to === srv && w.message.code === Code.POST);
    assert.equal(upd.length, 2);
    assert.ok(upd[1].at - t0 >= 207_000 && upd[1].at - t0 < 207_100, `update at ${upd[1].at - t0}`);
    assert.deepEqual(rig.requests((w) => w.to === srv)[1], 'POST /rd/1');
    assert.equal(upd[1].message.payload.length, 0, 'objects unchanged: no payload');
    await rig.advance(207_000);
    assert.equal(rig.wire.filter((w) => w.to === srv && w.message.code === Code.POST).length, 3);
    assert.equal(rig.serverEvents[0].filter((e) => e.type === 'updated').length, 2);
  });

  it('LightweightM2M-1.1-int-104: Registration Update Trigger /1/0/8 sends an Update now; a lifetime write sends lt', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    await rig.advance(100);
    const server = rig.servers[0];
    const exec = await rig.settle(server.execute('node-1', '/1/0/8'));
    assert.equal(exec?.code, '2.04');
    assert.ok(await rig.until(() => rig.serverEvents[0].some((e) => e.type === 'updated'), 5000));
    const w = await rig.settle(server.write('node-1', '/1/0/1', 120));
    assert.equal(w?.code, '2.04');
    assert.ok(await rig.until(() => rig.serverEvents[0].filter((e) => e.type === 'updated').length === 2, 5000));
    assert.equal(server.clients.get('node-1')!.lifetime, 120);
    assert.ok(rig.requests().includes('POST /rd/1?lt=120'));
  });

  it('LightweightM2M-1.1-int-7: an unreachable server makes registration fail (retry timers in virtual time), then bootstrap, then register', async () => {
    rig = await openRig({ kind: 'memory' });
    const cfg = rig.bs!.config.endpoints['node-1'];
    const good = cfg.servers[0].uri;
    cfg.servers[0] = {
      uri: 'coap://127.0.0.99:5683',
      ssid: 101,
      lifetime: 300,
      communicationRetryCount: 2,
      communicationRetryTimer: 30,
      communicationSequenceRetryCount: 1,
    };
    rig.client.start();
    assert.ok(await rig.until(() => rig.count('bootstrap-finished') === 1, 10_000));
    cfg.servers[0] = { uri: good, ssid: 101, lifetime: 300 };
    const start = rig.clock!.now();
    assert.ok(await rig.until(() => rig.has('registration-failed'), 600_000));
    // Two attempts, each a full CoAP exchange (≤ 93 s), 30 s apart.
    const failedAfter = rig.clock!.now() - start;
    assert.ok(failedAfter > 30_000 + 2 * 45_000 && failedAfter < 30_000 + 2 * 93_100, `failed after ${failedAfter} ms`);
    const regs = rig.wire.filter((w) => w.to === '127.0.0.99/5683' && w.message.code === Code.POST);
    assert.equal(new Set(regs.map((w) => w.message.messageId)).size, 2, 'exactly two Register attempts');
    assert.ok(await rig.until(() => rig.client.state === 'registered', 60_000), `state ${rig.client.state}`);
    assert.equal(rig.count('bootstrap-finished'), 2);
    assert.equal(rig.client.registeredServers[0].peer.address, '127.0.0.3');
  });

  it('bootstrap retries back off exponentially with jitter, bounded, never a tight loop', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual', client: { bootstrapRetry: { initialDelay: 10, maxDelay: 300 } } });
    rig.client = rig.newClient();
    const times: number[] = [];
    rig.setManualHandler((req) => {
      if (req.path[0] === 'bs') times.push(rig.clock!.now());
      return { code: Code.BAD_REQUEST };
    });
    rig.client.start();
    await rig.advance(3 * 3600_000);
    const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
    assert.ok(gaps.length >= 8, `only ${gaps.length + 1} requests`);
    gaps.forEach((g, i) => {
      const base = Math.min(300, 10 * 2 ** i);
      assert.ok(g >= base * 0.5 - 0.1 && g <= base + 0.1, `gap ${i}: ${g} s not in [${base / 2}, ${base}]`);
    });
    assert.ok(times.length < (3 * 3600) / 150 + 8, `${times.length} requests in 3 h`);
    assert.equal(rig.client.state, 'bootstrap-pending');
  });

  it('Bootstrap-Request carries pct= when the client prefers a content format', async () => {
    rig = await openRig({ kind: 'memory', client: { preferredContentFormat: ContentFormat.SENML_CBOR } });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    assert.equal(rig.requests()[0], 'POST /bs?ep=node-1&pct=112');
  });

  it('Client Hold Off Time (/0/x/11) delays the first Bootstrap-Request', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client = rig.newClient({ factory: { bootstrap: { uri: rig.bsUri, clientHoldOffTime: 20 } } });
    const t0 = rig.clock!.now();
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered', 60_000));
    const first = rig.wire.find((w) => w.message.code === Code.POST)!;
    assert.ok(first.at - t0 >= 20_000 && first.at - t0 < 20_100, `request at ${first.at - t0} ms`);
  });

  it('Bootstrap-Server Account Timeout (/0/x/12) purges the account after a successful bootstrap', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.bs!.config.endpoints['node-1'].bootstrap = { uri: rig.bsUri, accountTimeout: 60 };
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    assert.equal(rig.client.running.value(0, 0, 1), true);
    await rig.advance(61_000);
    assert.equal(rig.client.running.getInstance(0, 0), undefined);
    assert.equal(rig.client.state, 'registered');
  });

  it('during bootstrap, requests from any peer but the Bootstrap-Server are ignored', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient();
    rig.setManualHandler(() => ({ code: Code.CHANGED }));
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'bootstrapping'));
    const foreign = new CoapEndpoint({
      transport: rig.net!.bind('127.0.0.50', 5683),
      timers: rig.clock!,
      random: rig.random,
      log: silentLogger,
      params: { maxRetransmit: 1 },
    });
    const p = foreign.request(peerOf(rig), {
      method: Code.PUT,
      path: ['1', '0', '1'],
      contentFormat: ContentFormat.TEXT,
      payload: utf8Encode('5'),
    });
    let err: unknown;
    await rig.settle(
      p.catch((e) => {
        err = e;
      }),
    );
    assert.ok(err instanceof CoapTimeoutError, 'no answer at all');
    const g = await rig.settle(foreign.request(peerOf(rig), { method: Code.GET, path: ['3', '0'] }).catch((e) => e));
    assert.ok(g instanceof CoapTimeoutError);
    assert.equal(rig.client.running.getInstance(1, 0), undefined);
    // The Bootstrap-Server itself is served.
    const ok = await rig.settle(rig.manualBs!.request(peerOf(rig), { method: Code.GET, path: [], accept: ContentFormat.LINK_FORMAT }));
    assert.equal(ok?.code, Code.CONTENT);
    foreign.close();
  });

  it('DM requests from a server are ignored until its Registration is acknowledged', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'none' });
    // A hand-driven LwM2M Server that holds back its 2.01.
    rig.servers[0].close();
    const ep = new CoapEndpoint({
      transport: rig.net!.bind('127.0.0.60', 5683),
      timers: rig.clock!,
      random: rig.random,
      log: silentLogger,
      params: { maxRetransmit: 1 },
    });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    ep.onRequest = async (req) => {
      if (req.path[0] === 'rd' && req.method === Code.POST) {
        await held;
        return { code: Code.CREATED, locationPath: ['rd', 'x'] };
      }
      return { code: Code.CHANGED };
    };
    rig.client = rig.newClient({ factory: { servers: [{ uri: 'coap://127.0.0.60:5683', ssid: 9, lifetime: 300 }] } });
    rig.client.start();
    assert.ok(await rig.until(() => rig.wire.some((w) => w.message.code === Code.POST)));
    const early = await rig.settle(ep.request(peerOf(rig), { method: Code.GET, path: ['3', '0', '0'] }).catch((e) => e));
    assert.ok(early instanceof CoapTimeoutError, 'ignored before the 2.01');
    release();
    assert.ok(await rig.until(() => rig.client.state === 'registered', 30_000));
    const late = await rig.settle(ep.request(peerOf(rig), { method: Code.GET, path: ['3', '0', '0'] }));
    assert.equal(late?.code, Code.CONTENT);
    ep.close();
  });

  for (const seed of [1, 2, 3]) {
    it(`bootstrap + registration complete on a lossy network (30 % loss, 10 % duplication, seed ${seed})`, async () => {
      rig = await openRig({ kind: 'memory', seed, loss: 0.3, duplicate: 0.1 });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 3_600_000), `state ${rig.client.state}`);
      assert.deepEqual(rig.client.running.instanceIds(OBJ.SERVER), [0]);
      assert.equal(rig.client.running.value(OBJ.SECURITY, 1, 10), 101);
      assert.equal(rig.servers[0].clients.size, 1);
      // Dropped datagrams were retransmitted, duplicates answered from the cache: one registration.
      assert.equal(rig.serverEvents[0].filter((e) => e.type === 'registered').length, 1);
    });
  }
});

for (const kind of ['udp', 'memory', 'lossy'] as RigKind[]) {
  describe(`registration flows (${kind})`, () => {
    let rig: Rig;
    afterEach(async () => {
      await rig?.close();
    });

    it('LightweightM2M-1.1-int-103: De-register on stop', async () => {
      rig = await openRig({ kind });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered'));
      await rig.settle(rig.client.stop());
      assert.ok(rig.requests().includes('DELETE /rd/1'));
      assert.equal(rig.serverEvents[0].at(-1)?.type, 'deregistered');
      assert.equal(rig.servers[0].clients.size, 0);
    });

    it('LightweightM2M-1.1-int-5: Bootstrap-Request Trigger (/1/0/9) starts a new bootstrap and the client re-registers with the new configuration', async () => {
      rig = await openRig({ kind });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered'));
      rig.bs!.config.endpoints['node-1'].servers[0].lifetime = 600;
      const exec = await rig.settle(rig.servers[0].execute('node-1', '/1/0/9'));
      assert.equal(exec?.code, '2.04');
      assert.ok(await rig.until(() => rig.count('bootstrap-finished') === 2 && rig.client.state === 'registered', 20_000));
      assert.equal(rig.requests().filter((r) => r.startsWith('POST /bs?ep=')).length, 2);
      assert.equal(rig.client.running.value(OBJ.SERVER, 0, 1), 600);
      assert.equal(rig.servers[0].clients.get('node-1')!.lifetime, 600);
    });

    it('LightweightM2M-1.1-int-6: a usable server account means register without bootstrap; none means bootstrap', async () => {
      rig = await openRig({ kind });
      rig.client = rig.newClient({
        factory: { bootstrap: { uri: rig.bsUri }, servers: [{ uri: rig.serverUris[0], ssid: 3, lifetime: 300 }] },
      });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered'));
      assert.equal(rig.requests().filter((r) => r.startsWith('POST /bs')).length, 0, 'no Bootstrap-Request');
      // Without the server account the next start bootstraps.
      await rig.reboot({ factory: { bootstrap: { uri: rig.bsUri } } });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      assert.equal(rig.requests().filter((r) => r.startsWith('POST /bs?ep=node-1')).length, 1);
    });
  });
}

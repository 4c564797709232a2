// Interop with mbedTLS 2.28 (Debian's libmbedtls-dev), the DTLS stack most
// C LwM2M clients use (Anjay among them): a small mbedTLS client and server
// of our own (host-tests/interop/mbedtls/*.c, built here with cc), PSK,
// mbedTLS defaults, each cipher suite.
//  - our DtlsTransport client against the mbedTLS server: data both ways,
//    then close_notify and a resumed session;
//  - the mbedTLS client against our LwM2M Server: Register over coaps, a Read
//    from the server, then a resumed session that carries the Update;
//  - the mbedTLS client as Anjay sets it up (SSL 3.0 as its floor, so every
//    ClientHello record says {254, 0}) against our Bootstrap-Server: the whole
//    bootstrap sequence over coaps, then a Register at our LwM2M Server with the
//    identity and key the Bootstrap-Server wrote into /0/1; both again over
//    resumed sessions.
// The test speaks CoAP through the mbedTLS client (a line per datagram on its
// stdin and stdout), as the LwM2M client above an mbedTLS session would.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { CoapEndpoint, type CoapResponse } from '../../firmware/coap/endpoint';
import type { IncomingRequest, ResponseSpec } from '../../firmware/coap/api';
import { Code, codeString } from '../../firmware/coap/message';
import { CipherSuite, ContentType, HandshakeType } from '../../firmware/dtls/constants';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node/index';
import type { DatagramTransport, Logger } from '../../firmware/platform/ports';
import { fromHex, toHex } from '../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { PeerProcess, loopbackDtls, until } from '../dtls/peer-process';
import { buildMbedtlsPeers, type MbedtlsPeers } from './mbedtls/build';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

const SUITES = [
  { peer: 'ccm8', id: CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, mbedtls: 'TLS-PSK-WITH-AES-128-CCM-8' },
  { peer: 'cbc', id: CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, mbedtls: 'TLS-PSK-WITH-AES-128-CBC-SHA256' },
];
const IDENTITY = 'mbedtls-node-1';
const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const quiet: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/**
 * The mbedTLS client process as a DatagramTransport: a send is a `send <hex>`
 * line, each `recv <hex>` line a datagram from its one peer.
 */
class MbedtlsClient implements DatagramTransport {
  onReceive: DatagramTransport['onReceive'] = null;
  readonly proc: PeerProcess;

  constructor(
    bin: string,
    readonly port: number,
    identity: string,
    key: Uint8Array,
    extra: string[] = [],
  ) {
    this.proc = new PeerProcess(bin, ['127.0.0.1', String(port), identity, toHex(key), ...extra]);
    this.proc.onLine = (l) => {
      if (l.startsWith('recv ')) this.onReceive?.(fromHex(l.slice(5)), '127.0.0.1', port);
    };
  }

  send(data: Uint8Array): void {
    this.proc.write(`send ${toHex(data)}\n`);
  }
  close(): void {
    this.proc.write('quit\n');
  }

  /** The `connected <suite> resumed=<0|1>` line of the n-th handshake (1-based). */
  async handshake(n: number): Promise<{ suite: string; resumed: boolean }> {
    await until(
      () => this.proc.lines.filter((l) => l.startsWith('connected ') || l.startsWith('error ')).length >= n,
      10_000,
      `mbedTLS handshake ${n}`,
    );
    const line = this.proc.lines.filter((l) => l.startsWith('connected ') || l.startsWith('error '))[n - 1];
    const m = /^connected (\S+) resumed=([01])$/.exec(line);
    if (!m) throw new Error(`mbedTLS client: ${line}\n${this.proc.lines.join('\n')}`);
    return { suite: m[1], resumed: m[2] === '1' };
  }

  /** close_notify, then a new socket and a handshake offering the session. */
  reconnect(): void {
    this.proc.write('reconnect\n');
  }
}

/** A CoAP endpoint over the mbedTLS client: what an LwM2M client on mbedTLS sends and answers. */
function coapOver(t: MbedtlsClient, handler: (req: IncomingRequest) => ResponseSpec = () => ({ code: Code.NOT_FOUND })): CoapEndpoint {
  const ep = new CoapEndpoint({ transport: t, timers: nodeTimers, random: nodeRandom, log: quiet });
  ep.onRequest = handler;
  return ep;
}

/**
 * A UDP relay in front of a port that notes the record version of every
 * ClientHello going through (to show what the client really sent).
 */
async function helloTap(target: number): Promise<{ port: number; versions: string[]; close(): void }> {
  const front = dgram.createSocket('udp4');
  const up = new Map<string, dgram.Socket>();
  const versions: string[] = [];
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  front.on('message', (m, from) => {
    if (m.length > 25 && m[0] === ContentType.handshake && m[13] === HandshakeType.client_hello) versions.push(`{${m[1]}, ${m[2]}}`);
    const key = `${from.address}:${from.port}`;
    let s = up.get(key);
    if (!s) {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (back) => front.send(back, from.port, from.address));
      sock.bind(0, '127.0.0.1');
      up.set(key, sock);
      s = sock;
    }
    s.send(m, target, '127.0.0.1');
  });
  return {
    port: front.address().port,
    versions,
    close: () => {
      front.close();
      for (const s of up.values()) s.close();
    },
  };
}

async function request(ep: CoapEndpoint, port: number, o: Parameters<CoapEndpoint['request']>[1]): Promise<CoapResponse> {
  return ep.request({ address: '127.0.0.1', port }, o);
}

describe('interop: DTLS 1.2 PSK with mbedTLS (libmbedtls-dev)', function () {
  this.timeout(30_000);
  let peers: MbedtlsPeers;
  const procs: PeerProcess[] = [];
  const closers: Array<() => void> = [];
  before(() => {
    peers = buildMbedtlsPeers();
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });

  for (const suite of SUITES) {
    it(`our client against the mbedTLS server with ${suite.mbedtls}: data both ways, then a resumed session`, async () => {
      const srv = new PeerProcess(peers.server, ['--psk', `${IDENTITY}:${toHex(KEY)}`, '--suite', suite.peer]);
      procs.push(srv);
      const port = Number(/^listening (\d+)/.exec(await srv.waitForLine(/^listening \d+/, 5000))![1]);
      const { dtls, seen } = await loopbackDtls({ client: { psk: () => ({ identity: IDENTITY, key: KEY }) } });
      closers.push(() => dtls.close());
      dtls.send(utf8Encode('hello from xs-lwm2m'), '127.0.0.1', port);
      await until(() => seen.data.length === 1, 10_000, 'the echo from the mbedTLS server');
      assert.equal(seen.data[0].text, 'hello from xs-lwm2m');
      assert.equal(seen.done[0].cipherSuite, suite.id);
      assert.equal(seen.done[0].resumed, false);
      await srv.waitForLine(new RegExp(`^handshake ${suite.mbedtls} identity=${IDENTITY} resumed=0$`), 5000);

      dtls.closeSession('127.0.0.1', port);
      await srv.waitForLine(/^closed$/, 5000);
      dtls.send(utf8Encode('again, resumed'), '127.0.0.1', port);
      await until(() => seen.data.length === 2, 10_000, 'the echo over the resumed session');
      assert.equal(seen.data[1].text, 'again, resumed');
      assert.equal(seen.done[1].resumed, true, 'the mbedTLS server resumed our session');
      await srv.waitForLine(/^handshake \S+ identity=\S* resumed=1$/, 5000);
      assert.equal(dtls.stats.authFailures + dtls.stats.internalErrors + dtls.stats.badVersion, 0);
    });

    it(`the mbedTLS client with ${suite.mbedtls} registers at our LwM2M Server, is read, and updates over a resumed session`, async () => {
      const psk = new PskStore();
      psk.set('mbedtls-ep', IDENTITY, KEY);
      const coaps = await openUdp({ address: '127.0.0.1' });
      const server = new LwM2MServer({
        transport: await openUdp({ address: '127.0.0.1' }),
        coaps: { transport: coaps, crypto: nodeCrypto },
        psk,
        timers: nodeTimers,
        random: nodeRandom,
        log: quiet,
      });
      closers.push(() => server.close());
      const client = new MbedtlsClient(peers.client, coaps.port, IDENTITY, KEY, ['--suite', suite.peer]);
      procs.push(client.proc);
      const ep = coapOver(client, (req) =>
        req.method === Code.GET && req.path.join('/') === '3/0/0'
          ? { code: Code.CONTENT, contentFormat: ContentFormat.TEXT, payload: utf8Encode('mbedTLS client') }
          : { code: Code.NOT_FOUND },
      );
      closers.push(() => ep.close());
      assert.deepEqual(await client.handshake(1), { suite: suite.mbedtls, resumed: false });

      const reg = await request(ep, coaps.port, {
        method: Code.POST,
        path: ['rd'],
        query: ['ep=mbedtls-ep', 'lt=300', 'lwm2m=1.1', 'b=U'],
        contentFormat: ContentFormat.LINK_FORMAT,
        payload: utf8Encode('</1/0>,</3/0>'),
      });
      assert.equal(codeString(reg.code), '2.01');
      assert.equal(server.clients.get('mbedtls-ep')?.pskIdentity, IDENTITY);
      const read = await server.read('mbedtls-ep', '/3/0/0', ContentFormat.TEXT);
      assert.equal(read.code, '2.05');
      assert.equal(read.text, 'mbedTLS client');

      client.reconnect();
      assert.deepEqual(await client.handshake(2), { suite: suite.mbedtls, resumed: true });
      const update = await request(ep, coaps.port, { method: Code.POST, path: reg.locationPath });
      assert.equal(codeString(update.code), '2.04', 'the Update came over the resumed session of the same identity');
      assert.equal((await server.read('mbedtls-ep', '/3/0/0', ContentFormat.TEXT)).text, 'mbedTLS client');
      const st = server.dtls!.stats;
      assert.equal(st.handshakesCompleted, 2);
      assert.equal(st.handshakesResumed, 1);
      assert.equal(st.authFailures + st.internalErrors + st.badVersion, 0);
    });
  }

  it('the mbedTLS client set up as Anjay ({254, 0} ClientHellos) bootstraps over coaps, registers with the key it was given, and resumes both', async () => {
    const EP = 'anjay-style-1';
    const BS_IDENTITY = 'anjay-style-bs';
    const SRV_IDENTITY = 'anjay-style-srv';
    const SRV_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x90 + i);
    const srvCoaps = await openUdp({ address: '127.0.0.1' });
    const psk = new PskStore();
    psk.set(EP, SRV_IDENTITY, SRV_KEY);
    const server = new LwM2MServer({
      transport: await openUdp({ address: '127.0.0.1' }),
      coaps: { transport: srvCoaps, crypto: nodeCrypto },
      psk,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
    });
    closers.push(() => server.close());
    const bsCoaps = await openUdp({ address: '127.0.0.1' });
    const events: BootstrapEvent[] = [];
    const bs = new BootstrapServer({
      transport: await openUdp({ address: '127.0.0.1' }),
      coaps: { transport: bsCoaps, crypto: nodeCrypto },
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => events.push(e),
      config: {
        format: 'tlv',
        endpoints: {
          [EP]: {
            psk: { identity: BS_IDENTITY, keyHex: toHex(KEY) },
            servers: [
              {
                uri: `coaps://127.0.0.1:${srvCoaps.port}`,
                ssid: 101,
                lifetime: 300,
                securityMode: 'psk',
                pskIdentity: SRV_IDENTITY,
                pskKeyHex: toHex(SRV_KEY),
              },
            ],
          },
        },
      },
    });
    closers.push(() => bs.close());
    const tap = await helloTap(bsCoaps.port);
    closers.push(() => tap.close());

    // The device side: what the Bootstrap-Server writes, answered as a client would.
    const written: Record<string, Uint8Array> = {};
    const ops: string[] = [];
    const device = (req: IncomingRequest): ResponseSpec => {
      const path = `/${req.path.join('/')}`;
      ops.push(`${codeString(req.method)} ${path}`);
      if (req.method === Code.DELETE) return { code: Code.DELETED };
      if (req.method === Code.PUT && path === '/0') {
        const d = formats.decode(req.contentFormat ?? -1, req.payload, { objectId: 0 });
        assert.ok(d.ok);
        for (const r of d.value.records) written[`/0/${r.path.instanceId}/${r.path.resourceId}`] = r.value as Uint8Array;
        return { code: Code.CHANGED };
      }
      if (req.method === Code.PUT) return { code: Code.CHANGED };
      if (req.method === Code.GET)
        return {
          code: Code.CONTENT,
          contentFormat: ContentFormat.LINK_FORMAT,
          payload: utf8Encode('lwm2m="1.1",</0/1>,</1/0>;ssid=101,</3/0>'),
        };
      if (req.method === Code.POST && path === '/bs') return { code: Code.CHANGED };
      return { code: Code.NOT_FOUND };
    };
    const bsClient = new MbedtlsClient(peers.client, tap.port, BS_IDENTITY, KEY, ['--min-version', 'ssl3']);
    procs.push(bsClient.proc);
    const bsEp = coapOver(bsClient, device);
    closers.push(() => bsEp.close());
    const bootstrap = async (n: number): Promise<void> => {
      const res = await request(bsEp, tap.port, { method: Code.POST, path: ['bs'], query: [`ep=${EP}`] });
      assert.equal(codeString(res.code), '2.04');
      await until(() => events.filter((e) => e.type === 'finished').length === n, 10_000, `bootstrap ${n} to finish`);
      assert.deepEqual(events.filter((e) => e.type === 'finished').at(-1), { type: 'finished', endpoint: EP, ok: true });
    };
    assert.equal((await bsClient.handshake(1)).resumed, false);
    assert.deepEqual(tap.versions.slice(0, 2), ['{254, 0}', '{254, 0}'], 'both ClientHellos (before and after the cookie) carry {254, 0}');
    await bootstrap(1);
    assert.deepEqual(ops, ['0.04 /', '0.03 /0', '0.03 /1', '0.01 /', '0.02 /bs'], 'Delete /, Write /0 and /1, Discover, Finish');

    // The LwM2M Server account the Bootstrap-Server wrote (/0/1): its identity (/0/1/3) and key (/0/1/5).
    assert.equal(utf8Decode(written['/0/1/3']), SRV_IDENTITY);
    assert.deepEqual([...written['/0/1/5']], [...SRV_KEY]);
    const srvClient = new MbedtlsClient(peers.client, srvCoaps.port, SRV_IDENTITY, written['/0/1/5'], ['--min-version', 'ssl3']);
    procs.push(srvClient.proc);
    const srvEp = coapOver(srvClient);
    closers.push(() => srvEp.close());
    assert.equal((await srvClient.handshake(1)).resumed, false);
    const reg = await request(srvEp, srvCoaps.port, {
      method: Code.POST,
      path: ['rd'],
      query: [`ep=${EP}`, 'lt=300', 'lwm2m=1.1', 'b=U'],
      contentFormat: ContentFormat.LINK_FORMAT,
      payload: utf8Encode('</1/0>,</3/0>'),
    });
    assert.equal(codeString(reg.code), '2.01');

    // Both again over abbreviated handshakes.
    bsClient.reconnect();
    assert.equal((await bsClient.handshake(2)).resumed, true);
    await bootstrap(2);
    srvClient.reconnect();
    assert.equal((await srvClient.handshake(2)).resumed, true);
    assert.equal(codeString((await request(srvEp, srvCoaps.port, { method: Code.POST, path: reg.locationPath })).code), '2.04');
    for (const t of [bs.dtls!, server.dtls!]) {
      assert.equal(t.stats.handshakesResumed, 1);
      assert.equal(t.stats.authFailures + t.stats.internalErrors + t.stats.badVersion, 0);
    }
  });
});

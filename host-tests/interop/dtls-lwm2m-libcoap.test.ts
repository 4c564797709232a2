// LwM2M Registration over coaps with a client nobody here wrote: libcoap's
// coap-client-openssl (Debian libcoap3-bin, OpenSSL 3) POSTs /rd to our LwM2M
// Server's coaps port with a PSK (-k key -u identity). The endpoint's own
// identity registers (2.01, Location-Path rd/…); an identity the server does
// not know fails the handshake as a wrong key does (bad_record_mac: identities
// cannot be enumerated), and a wrong key fails it too, and another endpoint's identity completes the
// handshake but registers nothing (4.03). No key in any log line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { LwM2MServer } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node/index';
import type { Logger } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { utf8Encode } from '../../firmware/util/utf8';
import { requireBinary } from '../dtls/peer-process';

const EP = 'libcoap-node-1';
const IDENTITY = 'libcoap-node-1-id';
const KEY = 'libcoap-psk-0123';

/** coap-client-openssl's answer: its verbose output prints each PDU (`v:1 t:ACK c:2.01 … [ Location-Path:rd, … ]`). */
interface Answer {
  code: string | undefined;
  locationPath: string[];
  out: string;
}

function coapClient(port: number, identity: string, key: string, ep: string): Promise<Answer> {
  const args = [
    '-m',
    'post',
    '-k',
    key,
    '-u',
    identity,
    '-t',
    '40',
    '-B',
    '5',
    '-v',
    '6',
    '-e',
    '</1/0>,</3/0>',
    `coaps://127.0.0.1:${port}/rd?ep=${ep}&lt=60&lwm2m=1.1&b=U`,
  ];
  return new Promise((resolve, reject) => {
    execFile('coap-client-openssl', args, { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed) {
        reject(new Error(`coap-client-openssl did not finish: ${stdout}${stderr}`));
        return;
      }
      const out = `${stdout}${stderr}`;
      const ack = /t:ACK c:(\d\.\d\d)[^\n]*?\[([^\]]*)\]/.exec(out);
      const locationPath = ack ? [...ack[2].matchAll(/Location-Path:([^,\s]+)/g)].map((m) => m[1]) : [];
      resolve({ code: ack?.[1], locationPath, out });
    });
  });
}

describe('interop: LwM2M Registration over coaps from libcoap (coap-client-openssl) to our LwM2M Server', function () {
  this.timeout(30_000);
  let server: LwM2MServer;
  let coaps: UdpTransport;
  const lines: string[] = [];
  const log: Logger = {
    error: (m) => lines.push(`E ${m}`),
    warn: (m) => lines.push(`W ${m}`),
    info: (m) => lines.push(`I ${m}`),
    debug: (m) => lines.push(`D ${m}`),
  };

  before(async () => {
    requireBinary('coap-client-openssl', 'libcoap3-bin');
    const psk = new PskStore();
    psk.set(EP, IDENTITY, utf8Encode(KEY));
    psk.set('other-node', 'other-node-id', utf8Encode('another-key-4567'));
    coaps = await openUdp({ address: '127.0.0.1' });
    server = new LwM2MServer({
      transport: await openUdp({ address: '127.0.0.1' }),
      coaps: { transport: coaps, crypto: nodeCrypto },
      psk,
      timers: nodeTimers,
      random: nodeRandom,
      log,
    });
  });

  after(() => {
    server?.close();
    const keys = [KEY, 'another-key-4567'];
    for (const l of lines)
      for (const k of keys) {
        assert.ok(!l.includes(k) && !l.toLowerCase().includes(toHex(utf8Encode(k))), `a key in a log line: ${l}`);
      }
  });

  it("the endpoint's own PSK identity registers: 2.01 with Location-Path rd/…, a coaps registration with that identity", async () => {
    const a = await coapClient(coaps.port, IDENTITY, KEY, EP);
    assert.equal(a.code, '2.01', a.out);
    assert.equal(a.locationPath[0], 'rd', a.out);
    const reg = server.clients.get(EP);
    assert.ok(reg, 'registered');
    assert.equal(reg.secure, true);
    assert.equal(reg.pskIdentity, IDENTITY);
    assert.deepEqual(
      reg.links.map((l) => l.target),
      ['/1/0', '/3/0'],
    );
    assert.equal(`rd/${reg.id}`, a.locationPath.join('/'));
  });

  it('an identity the server does not know: the handshake fails as with a wrong key (bad_record_mac), nothing registers', async () => {
    const failed = server.dtls!.stats.handshakesFailed;
    const a = await coapClient(coaps.port, 'nobody-knows-me', KEY, 'nobody');
    assert.equal(a.code, undefined, a.out);
    assert.match(a.out, /bad record mac/i);
    assert.equal(server.clients.has('nobody'), false);
    assert.equal(server.dtls!.stats.handshakesFailed, failed + 1);
    assert.ok(
      lines.some((l) =>
        /server handshake with 127\.0\.0\.1:\d+ failed: local_alert \(bad_record_mac\): PSK identity "nobody-knows-me" is unknown here/.test(
          l,
        ),
      ),
      lines.join('\n'),
    );
  });

  it('the right identity with a wrong key: the handshake fails (bad_record_mac), nothing registers', async () => {
    const before = server.clients.get(EP)!.id;
    const a = await coapClient(coaps.port, IDENTITY, 'not-the-key-0000', EP);
    assert.equal(a.code, undefined, a.out);
    assert.match(a.out, /bad record mac/i);
    assert.equal(server.clients.get(EP)?.id, before, 'the registration is the one made with the right key');
  });

  it("another endpoint's identity: the handshake completes, the Register gets 4.03", async () => {
    const a = await coapClient(coaps.port, 'other-node-id', 'another-key-4567', EP);
    assert.equal(a.code, '4.03', a.out);
    assert.equal(server.clients.get(EP)?.pskIdentity, IDENTITY);
    assert.ok(
      lines.some((l) => l.includes(`registration of ${EP}`) && l.includes('refused')),
      lines.join('\n'),
    );
  });
});

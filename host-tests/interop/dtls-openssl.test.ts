// Interop of our DTLS 1.2 PSK transport with OpenSSL 3 (`openssl s_server` /
// `s_client -dtls1_2 -psk …`) over real UDP on 127.0.0.1: each cipher suite,
// application data both ways, resumption both ways, a wrong key.
import assert from 'node:assert/strict';
import { CipherSuite } from '../../firmware/dtls/constants';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { toHex } from '../../firmware/util/hex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerProcess, freePort, loopbackDtls, requireBinary, until } from '../dtls/peer-process';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const IDENTITY = 'xs-lwm2m-client';
const SUITES = [
  { openssl: 'PSK-AES128-CCM8', id: CipherSuite.TLS_PSK_WITH_AES_128_CCM_8 },
  { openssl: 'PSK-AES128-CBC-SHA256', id: CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256 },
];
const peer = (port: number) => ({ address: '127.0.0.1', port });

describe('interop: DTLS 1.2 PSK with OpenSSL', function () {
  this.timeout(20_000);
  const procs: PeerProcess[] = [];
  let dir = '';
  before(() => {
    requireBinary('openssl', 'openssl');
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-dtls-'));
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sServer(cipher: string, key = KEY): Promise<{ proc: PeerProcess; port: number }> {
    const port = await freePort();
    const proc = new PeerProcess('openssl', [
      's_server',
      '-dtls1_2',
      '-listen',
      '-nocert',
      '-accept',
      `127.0.0.1:${port}`,
      '-psk',
      toHex(key),
      '-psk_identity',
      IDENTITY,
      '-cipher',
      cipher,
    ]);
    procs.push(proc);
    await proc.waitForLine(/^ACCEPT/, 5000);
    return { proc, port };
  }

  for (const suite of SUITES) {
    it(`our client against s_server with ${suite.openssl}: data both ways, then a resumed session`, async () => {
      const { proc, port } = await sServer(suite.openssl);
      const { dtls, seen } = await loopbackDtls({ client: { psk: () => ({ identity: IDENTITY, key: KEY }) } });
      try {
        dtls.send(utf8Encode('hello from xs-lwm2m\n'), '127.0.0.1', port);
        await proc.waitForLine(/hello from xs-lwm2m/, 5000);
        assert.equal(seen.done[0].cipherSuite, suite.id);
        assert.equal(seen.done[0].resumed, false);
        proc.write('hello from openssl\n');
        await until(() => seen.data.length > 0, 5000, 'data from s_server');
        assert.equal(seen.data[0].text, 'hello from openssl\n');

        dtls.closeSession('127.0.0.1', port);
        await proc.waitForLine(/DONE|shutting down SSL|CONNECTION CLOSED/, 5000);
        dtls.send(utf8Encode('again, resumed\n'), '127.0.0.1', port);
        await proc.waitForLine(/again, resumed/, 5000);
        assert.equal(seen.done.length, 2);
        assert.equal(seen.done[1].resumed, true, 's_server resumed our session (abbreviated handshake)');
        assert.equal(dtls.stats.authFailures + dtls.stats.internalErrors, 0);
      } finally {
        dtls.close();
      }
    });

    it(`s_client with ${suite.openssl} against our server: data both ways, then s_client resumes (-sess_in)`, async () => {
      const { dtls, port, seen } = await loopbackDtls({
        server: { pskKey: (id) => (utf8Decode(id) === IDENTITY ? KEY : null), cipherSuites: [suite.id] },
      });
      dtls.onReceive = (d, a, p) => {
        seen.data.push({ text: utf8Decode(d), address: a, port: p });
        dtls.send(utf8Encode(`echo:${utf8Decode(d)}`), a, p);
      };
      const sess = join(dir, `sess-${suite.id}.pem`);
      try {
        const first = new PeerProcess('openssl', [
          's_client',
          '-dtls1_2',
          '-connect',
          `127.0.0.1:${port}`,
          '-psk',
          toHex(KEY),
          '-psk_identity',
          IDENTITY,
          '-cipher',
          suite.openssl,
          '-sess_out',
          sess,
        ]);
        procs.push(first);
        await first.waitForLine(/Cipher is/, 5000);
        first.write('ping\n');
        await first.waitForLine(/^echo:ping/, 5000);
        assert.equal(seen.data[0].text, 'ping\n');
        assert.equal(seen.done[0].cipherSuite, suite.id);
        assert.equal(utf8Decode(dtls.identityOf('127.0.0.1', seen.done[0].port)!), IDENTITY);
        await first.stop();

        const second = new PeerProcess('openssl', [
          's_client',
          '-dtls1_2',
          '-connect',
          `127.0.0.1:${port}`,
          '-psk',
          toHex(KEY),
          '-psk_identity',
          IDENTITY,
          '-cipher',
          suite.openssl,
          '-sess_in',
          sess,
        ]);
        procs.push(second);
        await second.waitForLine(/^Reused, /, 5000);
        second.write('pong\n');
        await second.waitForLine(/^echo:pong/, 5000);
        assert.equal(seen.done[1].resumed, true);
        assert.equal(dtls.stats.handshakesResumed, 1);
        assert.equal(dtls.stats.authFailures + dtls.stats.internalErrors, 0);
      } finally {
        dtls.close();
      }
    });
  }

  it('our client with a wrong key: the handshake fails (alert or timeout), nothing throws', async () => {
    const { port } = await sServer('PSK-AES128-CCM8');
    const wrong = Uint8Array.from(KEY, (b) => b ^ 1);
    const { dtls, seen } = await loopbackDtls({
      client: { psk: () => ({ identity: IDENTITY, key: wrong }) },
      retransmit: { initialMs: 200, maxRetransmits: 2 },
    });
    try {
      dtls.send(utf8Encode('never'), '127.0.0.1', port);
      await until(() => seen.failed.length === 1, 8000, 'handshake failure');
      assert.ok(['peer_alert', 'timeout'].includes(seen.failed[0].reason), seen.failed[0].reason);
      assert.equal(seen.done.length, 0);
      assert.equal(dtls.stats.internalErrors, 0);
    } finally {
      dtls.close();
    }
  });

  it('s_client with a wrong key against our server: we answer with a fatal alert', async () => {
    const { dtls, port, seen } = await loopbackDtls({ server: { pskKey: () => KEY } });
    try {
      const p = new PeerProcess('openssl', [
        's_client',
        '-dtls1_2',
        '-connect',
        `127.0.0.1:${port}`,
        '-psk',
        toHex(Uint8Array.from(KEY, (b) => b ^ 1)),
        '-psk_identity',
        IDENTITY,
      ]);
      procs.push(p);
      await until(() => seen.failed.length === 1, 8000, 'our server to fail the handshake');
      assert.equal(seen.failed[0].reason, 'local_alert');
      await p.waitForLine(/alert/i, 5000);
      assert.equal(dtls.sessionCount, 0);
    } finally {
      dtls.close();
    }
  });
});

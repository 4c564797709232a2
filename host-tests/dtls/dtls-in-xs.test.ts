// The DTLS core inside the real XS engine (xsnap) on the host, over the
// xs-host crypto port (@noble/hashes, @noble/ciphers, the core's own CCM):
// the crypto known answers computed in XS, then an XS client against a Node
// server, a Node client against an XS server (with resumption), and an XS
// client against an XS server, over real loopback UDP.
import assert from 'node:assert/strict';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { CipherSuite } from '../../firmware/dtls/constants';
import { toHex } from '../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { loopbackDtls, until } from './peer-process';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { ccmSeal } from '../../firmware/dtls/ccm';
import { fromHex } from '../../firmware/util/hex';

const IDENTITY = 'xs-engine';
const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const decode = <T>(b: Uint8Array): T => JSON.parse(utf8Decode(b)) as T;

describe('DTLS in XS (real engine on the host, noble crypto port)', function () {
  this.timeout(30_000);
  let host: XsHost;
  before(async () => {
    const { code } = await bundleForXs('host-tests/xs-harness/entries/dtls.ts');
    host = await XsHost.start({ script: code });
  });
  after(() => host?.close());
  afterEach(() => {
    assert.deepEqual(host.errors, []);
    assert.deepEqual(host.errorLogs, []);
  });

  it('computes the PRF, CCM_8 and SHA-256 known answers exactly as node:crypto does', async () => {
    const ccm = {
      key: '000102030405060708090a0b0c0d0e0f',
      nonce: '101112131415161718191a1b',
      aad: '0000000000000001170303000b',
      pt: toHex(utf8Encode('hello in XS')),
    };
    const r = await host.callJson<{ prf: string; ccm: string; sha256: string }>('vectors', {
      prf: { secret: '9bbe436ba940f017b17652849a71db35', label: 'test label', seed: 'a0ba9f936cda311827a6f796ffd5198c' },
      ccm,
    });
    assert.equal(r.prf.slice(0, 32), 'e3f229ba727be17b8d122620557cd453');
    assert.equal(r.ccm, toHex(nodeCrypto.ccm8!.seal(fromHex(ccm.key), fromHex(ccm.nonce), fromHex(ccm.aad), fromHex(ccm.pt))));
    assert.equal(r.ccm, toHex(ccmSeal(nodeCrypto.aes128(fromHex(ccm.key)), fromHex(ccm.nonce), fromHex(ccm.aad), fromHex(ccm.pt), 8)));
    assert.equal(r.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  for (const suite of [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]) {
    it(`XS client against a Node server with 0x${suite.toString(16)}: data both ways`, async () => {
      const node = await loopbackDtls({ server: { pskKey: (id) => (utf8Decode(id) === IDENTITY ? KEY : null) } });
      node.dtls.onReceive = (d, a, p) => {
        node.seen.data.push({ text: utf8Decode(d), address: a, port: p });
        node.dtls.send(utf8Encode(`echo:${utf8Decode(d)}`), a, p);
      };
      try {
        const { id } = await host.callJson<{ id: number }>('client', { identity: IDENTITY, key: toHex(KEY), suites: [suite] });
        await host.callJson('send', { id, port: node.port, text: 'hello from XS' });
        const done = decode<{ cipherSuite: number; identity: string; connectionId: { send: string } }>(await host.waitEvent('client-done'));
        assert.equal(done.cipherSuite, suite);
        assert.equal(utf8Decode(await host.waitEvent('client-data')), 'echo:hello from XS');
        assert.equal(node.seen.data[0].text, 'hello from XS');
        assert.equal(utf8Decode(node.seen.done[0].identity), IDENTITY);
        // RFC 9146: the Node server gave the XS client a CID, and XS sealed its records in the tls12_cid form.
        assert.equal(done.connectionId.send, node.seen.done[0].connectionId!.receive);
        assert.equal(node.dtls.stats.cidRecordsIn, 2);
        const st = await host.callJson<{ internalErrors: number; authFailures: number; cidRecordsOut: number }>('stats', { id });
        assert.equal(st.internalErrors + st.authFailures, 0);
        assert.equal(st.cidRecordsOut, 2);
      } finally {
        node.dtls.close();
      }
    });
  }

  it('Node client against an XS server: data both ways, close_notify, then an abbreviated handshake', async () => {
    const { id, port } = await host.callJson<{ id: number; port: number }>('server', { identity: IDENTITY, key: toHex(KEY) });
    const node = await loopbackDtls({ client: { psk: () => ({ identity: IDENTITY, key: KEY }) } });
    try {
      node.dtls.send(utf8Encode('from node'), '127.0.0.1', port);
      assert.equal(utf8Decode(await host.waitEvent('server-data')), 'from node');
      await until(() => node.seen.data.length === 1, 5000, 'the echo');
      assert.equal(node.seen.data[0].text, 'echo:from node');
      assert.equal(decode<{ identity: string }>(await host.waitEvent('server-done')).identity, IDENTITY);

      node.dtls.closeSession('127.0.0.1', port);
      assert.equal(decode<{ reason: string }>(await host.waitEvent('server-closed')).reason, 'close_notify');
      node.dtls.send(utf8Encode('again'), '127.0.0.1', port);
      assert.equal(decode<{ resumed: boolean }>(await host.waitEvent('server-done')).resumed, true);
      assert.equal(utf8Decode(await host.waitEvent('server-data')), 'again');
      assert.equal(node.seen.done[1].resumed, true);
      const st = await host.callJson<{ handshakesResumed: number; internalErrors: number }>('stats', { id });
      assert.equal(st.handshakesResumed, 1);
      assert.equal(st.internalErrors, 0);
    } finally {
      node.dtls.close();
    }
  });

  it('XS client against an XS server (both roles in the engine); a wrong key fails with an alert in XS', async () => {
    const { port } = await host.callJson<{ port: number }>('server', { identity: 'both', key: toHex(KEY) });
    const { id } = await host.callJson<{ id: number }>('client', { identity: 'both', key: toHex(KEY) });
    await host.callJson('send', { id, port, text: 'xs to xs' });
    assert.equal(utf8Decode(await host.waitEvent('server-data')), 'xs to xs');
    assert.equal(utf8Decode(await host.waitEvent('client-data')), 'echo:xs to xs');

    // A client CID of its own: tls12_cid records both ways, opened in XS on both ends.
    const withCid = await host.callJson<{ id: number }>('client', { identity: 'both', key: toHex(KEY), cidLength: 4 });
    await host.callJson('send', { id: withCid.id, port, text: 'with CIDs' });
    assert.equal(utf8Decode(await host.waitEvent('server-data')), 'with CIDs');
    assert.equal(utf8Decode(await host.waitEvent('client-data')), 'echo:with CIDs');
    const st = await host.callJson<{ cidRecordsIn: number; cidRecordsOut: number }>('stats', { id: withCid.id });
    assert.ok(st.cidRecordsIn >= 2 && st.cidRecordsOut >= 2, JSON.stringify(st));

    const bad = await host.callJson<{ id: number }>('client', { identity: 'both', key: toHex(Uint8Array.from(KEY, (b) => b ^ 0xff)) });
    await host.callJson('send', { id: bad.id, port, text: 'never' });
    const failed = decode<{ alertName: string; reason: string }>(await host.waitEvent('client-failed'));
    assert.equal(failed.reason, 'peer_alert');
    assert.equal(failed.alertName, 'bad_record_mac');
  });
});

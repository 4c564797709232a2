// CoAP over our DTLS transport against libcoap's OpenSSL builds (Debian
// libcoap3-bin) over real UDP on 127.0.0.1: our CoapEndpoint over a
// DtlsTransport client GETs from coap-server-openssl (PSK key and hint), and
// coap-client-openssl (-k key -u identity) GETs from our endpoint over the
// DtlsTransport server role, which tells the handler the client's identity.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { nodeRandom, nodeTimers } from '../../firmware/platform/node/index';
import { silentLogger } from '../../firmware/platform/ports';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { PeerProcess, freePort, loopbackDtls, requireBinary } from '../dtls/peer-process';

const KEY = 'lwm2m-psk-secret';
const IDENTITY = 'urn:dev:xs-lwm2m-1';

describe('interop: CoAP over DTLS (PSK) with libcoap (coap-server-openssl / coap-client-openssl)', function () {
  this.timeout(20_000);
  before(() => {
    requireBinary('coap-server-openssl', 'libcoap3-bin');
    requireBinary('coap-client-openssl', 'libcoap3-bin');
  });

  it('our CoapEndpoint over our DTLS client GETs / from coap-server-openssl', async () => {
    const port = await freePort();
    // coap-server listens for coaps on port + 1 when given a PSK.
    const server = new PeerProcess('coap-server-openssl', ['-A', '127.0.0.1', '-p', String(port), '-k', KEY, '-h', 'xs-hint', '-v', '4']);
    const hints: string[] = [];
    const { dtls, seen } = await loopbackDtls({
      client: {
        psk: ({ hint }) => {
          hints.push(hint ? utf8Decode(hint) : '');
          return { identity: IDENTITY, key: utf8Encode(KEY) };
        },
      },
    });
    const ep = new CoapEndpoint({ transport: dtls, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    try {
      const res = await ep.request({ address: '127.0.0.1', port: port + 1 }, { method: Code.GET, path: [] });
      assert.equal(res.code, Code.CONTENT);
      assert.match(utf8Decode(res.payload), /This is a test server made with libcoap/);
      assert.deepEqual(hints, ['xs-hint']);
      assert.equal(seen.done.length, 1);
      assert.equal(dtls.stats.internalErrors + dtls.stats.authFailures, 0);
    } finally {
      ep.close();
      dtls.close();
      await server.stop();
    }
  });

  it('coap-client-openssl GETs from our CoapEndpoint over our DTLS server; the handler sees the PSK identity', async () => {
    const { dtls, port, seen } = await loopbackDtls({
      server: { pskKey: (id) => (utf8Decode(id) === IDENTITY ? utf8Encode(KEY) : null) },
    });
    const ep = new CoapEndpoint({ transport: dtls, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    ep.onRequest = (req) => {
      const id = dtls.identityOf(req.peer.address, req.peer.port);
      return { code: Code.CONTENT, contentFormat: 0, payload: utf8Encode(`hello ${id ? utf8Decode(id) : '?'} at /${req.path.join('/')}`) };
    };
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          'coap-client-openssl',
          ['-k', KEY, '-u', IDENTITY, '-B', '5', `coaps://127.0.0.1:${port}/rd/node`],
          { timeout: 10_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        );
      });
      assert.equal(out.trim(), `hello ${IDENTITY} at /rd/node`);
      assert.equal(seen.done.length, 1);
      assert.equal(utf8Decode(seen.done[0].identity), IDENTITY);
      assert.equal(dtls.stats.internalErrors + dtls.stats.authFailures, 0);
    } finally {
      ep.close();
      dtls.close();
    }
  });
});

// XS entry (bundled by host-tests/xs-harness/bundle.ts, run in xsnap by the test
// dtls-in-xs.test.ts): the DTLS core with the xs-host crypto port (noble),
// as client and as server over the XS host's loopback UDP, plus the crypto
// known answers computed inside XS.
import {
  emitEvent,
  installXsHost,
  jsonBytes as json,
  openXsUdp,
  parseJsonBytes as parse,
  registerCall,
  xsLogger,
  xsRandom,
  xsTimers,
} from '../port/host';
import { xsHostCrypto } from '../port/crypto';
import { DtlsTransport, type DtlsSessionEnd, type DtlsSessionInfo } from '../../../firmware/dtls/transport';
import { prf } from '../../../firmware/dtls/prf';
import { ccmSeal } from '../../../firmware/dtls/ccm';
import { fromHex, toHex } from '../../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../../firmware/util/utf8';

installXsHost();

registerCall('vectors', (p) => {
  const v = parse<{ prf: { secret: string; label: string; seed: string }; ccm: { key: string; nonce: string; aad: string; pt: string } }>(
    p,
  );
  const aes = xsHostCrypto.aes128(fromHex(v.ccm.key));
  return json({
    prf: toHex(prf(xsHostCrypto, fromHex(v.prf.secret), utf8Encode(v.prf.label), fromHex(v.prf.seed), 100)),
    ccm: toHex(ccmSeal(aes, fromHex(v.ccm.nonce), fromHex(v.ccm.aad), fromHex(v.ccm.pt), 8)),
    sha256: toHex(xsHostCrypto.sha256(utf8Encode('abc'))),
  });
});

const transports: DtlsTransport[] = [];

function describe(info: DtlsSessionInfo | DtlsSessionEnd): unknown {
  return 'identity' in info ? { ...info, identity: utf8Decode(info.identity) } : info;
}

function wire(t: DtlsTransport, role: string): void {
  t.onHandshakeDone = (i) => emitEvent(`${role}-done`, json(describe(i)));
  t.onHandshakeFailed = (e) => emitEvent(`${role}-failed`, json(e));
  t.onSessionClosed = (e) => emitEvent(`${role}-closed`, json(e));
}

registerCall('server', (p) => {
  const { identity, key, suites } = parse<{ identity: string; key: string; suites?: number[] }>(p);
  const udp = openXsUdp({ address: '127.0.0.1' });
  const t = new DtlsTransport({
    transport: udp,
    timers: xsTimers,
    random: xsRandom,
    crypto: xsHostCrypto,
    log: xsLogger,
    server: { pskKey: (id) => (utf8Decode(id) === identity ? fromHex(key) : null), cipherSuites: suites },
  });
  wire(t, 'server');
  // Echo, so the peer sees data come back through the same session.
  t.onReceive = (d, a, port) => {
    emitEvent('server-data', d);
    t.send(utf8Encode(`echo:${utf8Decode(d)}`), a, port);
  };
  transports.push(t);
  return json({ port: udp.port, id: transports.length - 1 });
});

registerCall('client', (p) => {
  const { identity, key, suites, cidLength } = parse<{ identity: string; key: string; suites?: number[]; cidLength?: number }>(p);
  const udp = openXsUdp({ address: '127.0.0.1' });
  const t = new DtlsTransport({
    transport: udp,
    timers: xsTimers,
    random: xsRandom,
    crypto: xsHostCrypto,
    log: xsLogger,
    client: { psk: () => ({ identity, key: fromHex(key) }), cipherSuites: suites, connectionIdLength: cidLength },
  });
  wire(t, 'client');
  t.onReceive = (d) => emitEvent('client-data', d);
  transports.push(t);
  return json({ port: udp.port, id: transports.length - 1 });
});

registerCall('send', (p) => {
  const { id, port, text } = parse<{ id: number; port: number; text: string }>(p);
  transports[id].send(utf8Encode(text), '127.0.0.1', port);
  return json(null);
});

registerCall('closeSession', (p) => {
  const { id, port } = parse<{ id: number; port: number }>(p);
  return json(transports[id].closeSession('127.0.0.1', port));
});

registerCall('stats', (p) => json(transports[parse<{ id: number }>(p).id].stats));

// The Bootstrap-Server hands key material (a PSK server account's /0/x/5, an
// extra write of a Secret Key) only to an endpoint DTLS has authenticated: a
// configuration that would send keys to an endpoint without its own "psk" is
// refused at load (naming the endpoint, never the key), and a sequence over
// plain coap for an endpoint with keys is refused at request time whatever
// the caller does.
import assert from 'node:assert/strict';
import { BootstrapServer, validateConfig, type BootstrapConfig } from '../../host/bootstrap-server';
import type { DatagramTransport, Logger } from '../../firmware/platform/ports';
import { VirtualClock } from '../support/virtual-clock';
import { SeededRandom } from '../support/seeded-random';

const KEY = '000102030405060708090a0b0c0d0e0f';
const PSK_ACCOUNT = { uri: 'coaps://192.0.2.1:5684', ssid: 101, securityMode: 'psk' as const, pskIdentity: 'dev-srv', pskKeyHex: KEY };

function loadError(config: BootstrapConfig): string {
  try {
    validateConfig(config);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('Bootstrap-Server: keys only over coaps', () => {
  it('refuses at load an endpoint (or "*") whose accounts or writes carry keys without its own psk', () => {
    const cases: Array<[string, BootstrapConfig]> = [
      ['dev-1', { endpoints: { 'dev-1': { servers: [PSK_ACCOUNT] } } }],
      ['*', { endpoints: { '*': { servers: [PSK_ACCOUNT] } } }],
      [
        'dev-2',
        { endpoints: { 'dev-2': { servers: [{ uri: 'coap://192.0.2.1:5683', ssid: 1 }], writes: [{ path: '/0/3/5', value: KEY }] } } },
      ],
    ];
    for (const [ep, config] of cases) {
      const msg = loadError(config);
      assert.match(msg, new RegExp(`endpoints\\["${ep.replace('*', '\\*')}"\\]: .*key material.*needs its own "psk"`), ep);
      assert.ok(!msg.includes(KEY), 'the message never carries the key');
    }
    assert.equal(loadError({ endpoints: { 'dev-1': { psk: { identity: 'dev-1', keyHex: KEY }, servers: [PSK_ACCOUNT] } } }), '');
    assert.equal(
      loadError({
        endpoints: { '*': { servers: [{ uri: 'coap://192.0.2.1:5683', ssid: 1 }], writes: [{ path: '/3/0/14', value: '+01:00' }] } },
      }),
      '',
    );
  });

  it('a server-initiated sequence over plain coap for an endpoint with keys sends nothing and fails', async () => {
    const sent: Uint8Array[] = [];
    const transport: DatagramTransport = {
      onReceive: null,
      send: (d) => {
        sent.push(d);
      },
      close: () => {},
    };
    const lines: string[] = [];
    const log: Logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: () => {}, debug: () => {} };
    const finished: unknown[] = [];
    const bs = new BootstrapServer({
      transport,
      timers: new VirtualClock(),
      random: new SeededRandom(1),
      log,
      config: { endpoints: { 'dev-1': { psk: { identity: 'dev-1', keyHex: KEY }, servers: [PSK_ACCOUNT] } } },
      onEvent: (e) => {
        if (e.type === 'finished') finished.push(e);
      },
    });
    assert.equal(await bs.provision({ address: '192.0.2.9', port: 5683 }, 'dev-1', false), false);
    assert.equal(sent.length, 0, 'not even the Delete went out');
    assert.deepEqual(finished, [
      { type: 'finished', endpoint: 'dev-1', ok: false, diagnostic: 'its configuration carries key material, which goes only over coaps' },
    ]);
    assert.match(lines.join('\n'), /dev-1 not provisioned over plain coap/);
    assert.ok(!lines.join('\n').includes(KEY));
    bs.close();
  });
});

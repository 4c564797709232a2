// Interop with Eclipse Leshan over coaps (DTLS 1.2 with PSK, Transport §5.2), ETS
// LightweightM2M-1.1-int-1 both ways:
//  1. our client bootstraps over coaps from a Leshan bootstrap server (its PSK is the one of
//     the Bootstrap-Server account in its Leshan config), which writes a coaps PSK account for
//     the Leshan demo server; our client registers there over coaps and Leshan reads /3/0;
//  2. a Leshan server that holds another key for our endpoint: our client never registers,
//     says why in one log line, and no key appears in any log line;
//  3. Leshan's client bootstraps over coaps from OUR Bootstrap-Server and registers over coaps
//     to OUR LwM2M Server, which reads /3/0.
// Needs Java 17 + Maven (Leshan fetched by interop/fetch-leshan.sh); a summary table is printed.
import assert from 'node:assert/strict';

import type { LwM2MClient, ClientEvent } from '../../firmware/lwm2m/engine/client';
import { ContentFormat } from '../../firmware/formats';
import { nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import type { Logger } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { PskStore } from '../../host/psk-store';
import { startNodeClient } from '../../host/runtime';
import {
  LESHAN_VERSION,
  bootstrapConfig,
  ensureLeshan,
  resourceValue,
  startLeshanBootstrapServer,
  startLeshanClient,
  startLeshanServer,
  stopAllJava,
  type LeshanBootstrapHandle,
  type LeshanClientHandle,
  type LeshanServerHandle,
} from './leshan/harness';
import { StepSummary } from './summary';

const summary = new StepSummary();
const printSummary = () => summary.print(`Leshan ${LESHAN_VERSION} over coaps (DTLS 1.2 PSK): summary`, 'coaps interop');

/** Every line our client or servers log, to read what they say and to look for keys. */
function recordingLogger(prefix: string, into: string[]): Logger {
  const put = (lvl: string) => (m: string) => {
    into.push(`${prefix} ${lvl} ${m}`);
  };
  return { error: put('E'), warn: put('W'), info: put('I'), debug: put('D') };
}

/** No key, as hex or as its bytes, in any line. */
function assertNoKeys(lines: string[], keys: Uint8Array[]): void {
  for (const k of keys) {
    const hex = toHex(k);
    const raw = String.fromCharCode(...k);
    for (const l of lines) {
      assert.ok(!l.toLowerCase().includes(hex), `a key as hex in: ${l}`);
      assert.ok(!l.includes(raw), `a key's bytes in: ${l}`);
    }
  }
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const key16 = (seed: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (seed * 31 + i * 7) & 0xff);

describe(`Leshan ${LESHAN_VERSION} interop over coaps (DTLS 1.2 PSK)`, function () {
  this.timeout(60_000);
  let server: LeshanServerHandle;
  let bs: LeshanBootstrapHandle;
  const clients: LwM2MClient[] = [];

  before(async function () {
    this.timeout(12 * 60_000); // cold Maven fetch, bounded inside ensureLeshan
    await ensureLeshan();
    this.timeout(120_000);
    [server, bs] = await Promise.all([startLeshanServer(), startLeshanBootstrapServer({ coaps: true })]);
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await stopAllJava();
    printSummary();
  });

  describe('our client against the Leshan bootstrap server and server, over coaps (int-1)', function () {
    const EP = 'xs-lwm2m-coaps';
    const BS_PSK = { identity: `${EP}-bs`, key: key16(1) };
    const SERVER_PSK = { identity: `${EP}-dm`, key: key16(2) };
    const lines: string[] = [];
    const events: ClientEvent[] = [];
    let client: LwM2MClient;

    after(() => assertNoKeys(lines, [BS_PSK.key, SERVER_PSK.key]));

    it('bootstraps over coaps with its PSK: Delete /, Writes of the coaps PSK accounts, Finish', async () => {
      await summary.step('our client: bootstrap over coaps from Leshan', async () => {
        await server.rest.setPsk(EP, SERVER_PSK.identity, SERVER_PSK.key);
        await bs.rest.setConfig(
          EP,
          bootstrapConfig({
            serverUri: server.coapsUri,
            serverPsk: SERVER_PSK,
            shortServerId: 123,
            lifetime: 120,
            contentFormat: 'TLV',
            bootstrapServerUri: bs.coapsUri!,
            bootstrapPsk: BS_PSK,
          }),
        );
        client = await startNodeClient({
          endpointName: EP,
          bootstrapUri: bs.coapsUri!,
          psk: BS_PSK,
          log: recordingLogger('client', lines),
          onEvent: (e) => events.push(e),
        });
        clients.push(client);
        const session = await bs.rest.waitForSession(EP, 30_000);
        const dtls = client.secure!.dtls.stats;
        assert.ok(dtls.handshakesCompleted >= 1, 'a DTLS handshake with the bootstrap server');
        return session
          .filter((e) => e.event === 'response')
          .map((e) => e.detail!.replace(/Bootstrap|Request/g, ''))
          .join('; ')
          .slice(0, 100);
      });
    });

    it('registers over coaps to the Leshan server, with the PSK the bootstrap server wrote', async () => {
      await summary.step('our client: register over coaps to Leshan', async () => {
        const reg = await server.rest.waitForRegistration(EP, 30_000);
        assert.equal(reg.secure, true, 'Leshan saw the registration over DTLS');
        assert.ok(
          reg.objectLinks.some((l) => l.url === '/3/0'),
          JSON.stringify(reg.objectLinks),
        );
        assert.ok(events.some((e) => e.type === 'registered'));
        const dtls = client.secure!.dtls.stats;
        return `secure ${reg.secure}, lwm2m ${reg.lwM2mVersion}; our DTLS: ${dtls.handshakesCompleted} handshakes, ${dtls.handshakesFailed} failed`;
      });
    });

    it('Leshan reads /3/0 over the DTLS session (TLV)', async () => {
      await summary.step('Leshan: Read /3/0 over coaps', async () => {
        const r = await server.rest.read(EP, '/3/0', { format: 'TLV' });
        assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
        assert.equal(resourceValue(r.content, 0), 'xs-lwm2m');
        return `${r.content?.resources?.length ?? 0} resources`;
      });
    });
  });

  describe('a Leshan server that holds another key for our endpoint', function () {
    const EP = 'xs-lwm2m-coaps-wrong-key';
    const OURS = { identity: `${EP}-id`, key: key16(3) };
    const lines: string[] = [];

    after(() => assertNoKeys(lines, [OURS.key, key16(4)]));

    it('our client never registers and says in one log line that the DTLS handshake failed', async function () {
      this.timeout(45_000);
      await summary.step('our client, wrong PSK at Leshan: not registered', async () => {
        await server.rest.setPsk(EP, OURS.identity, key16(4));
        const client = await startNodeClient({
          endpointName: EP,
          serverUri: server.coapsUri,
          psk: OURS,
          log: recordingLogger('client', lines),
          // 3 transmissions of a flight (0.5 + 1 + 2 s) instead of 6 (63 s): a silent peer fails fast
          extra: { dtls: { crypto: nodeCrypto, retransmit: { initialMs: 500, maxRetransmits: 2 } } },
        });
        clients.push(client);
        const failed = () => lines.filter((l) => /dtls: client handshake with 127\.0\.0\.1:\d+ failed/.test(l));
        await until(() => failed().length > 0, 30_000, 'a failed DTLS handshake in the client log');
        assert.equal(await server.rest.getClient(EP), undefined, 'Leshan has no registration');
        assert.equal(client.registeredServers.length, 0);
        return failed()[0]!
          .replace(/^client \w /, '')
          .slice(0, 100);
      });
    });
  });

  describe('the Leshan client against our Bootstrap-Server and LwM2M Server, over coaps (int-1)', function () {
    const EP = 'leshan-client-coaps';
    const BS_PSK = { identity: `${EP}-bs`, key: key16(5) };
    const SERVER_PSK = { identity: `${EP}-dm`, key: key16(6) };
    const sockets: UdpTransport[] = [];
    const lines: string[] = [];
    const serverEvents: ServerEvent[] = [];
    let ourServer: LwM2MServer | undefined;
    let ourBs: BootstrapServer | undefined;
    let leshan: LeshanClientHandle | undefined;

    after(async () => {
      await leshan?.stop();
      ourServer?.close();
      ourBs?.close();
      for (const s of sockets) s.close();
      assertNoKeys(lines, [BS_PSK.key, SERVER_PSK.key]);
    });

    it('bootstraps over coaps from ours, registers over coaps to ours, which reads /3/0 (TLV)', async function () {
      this.timeout(60_000);
      const open = async () => {
        const s = await openUdp({ address: '127.0.0.1' });
        sockets.push(s);
        return s;
      };
      const [srvUdp, srvCoaps, bsUdp, bsCoaps] = [await open(), await open(), await open(), await open()];
      const psk = new PskStore();
      psk.set(EP, SERVER_PSK.identity, SERVER_PSK.key);
      ourServer = new LwM2MServer({
        transport: srvUdp,
        coaps: { transport: srvCoaps, crypto: nodeCrypto },
        psk,
        timers: nodeTimers,
        random: nodeRandom,
        log: recordingLogger('server', lines),
        onEvent: (e) => serverEvents.push(e),
      });
      const bsEvents: string[] = [];
      ourBs = new BootstrapServer({
        transport: bsUdp,
        coaps: { transport: bsCoaps, crypto: nodeCrypto },
        timers: nodeTimers,
        random: nodeRandom,
        log: recordingLogger('bs', lines),
        config: {
          format: 'tlv',
          endpoints: {
            [EP]: {
              psk: { identity: BS_PSK.identity, keyHex: toHex(BS_PSK.key) },
              servers: [
                {
                  uri: `coaps://127.0.0.1:${srvCoaps.port}`,
                  ssid: 101,
                  lifetime: 60,
                  securityMode: 'psk',
                  pskIdentity: SERVER_PSK.identity,
                  pskKeyHex: toHex(SERVER_PSK.key),
                },
              ],
            },
          },
        },
        onEvent: (e) =>
          bsEvents.push(
            e.type === 'step'
              ? `${e.operation} ${e.path} ${e.code}`
              : e.type === 'finished'
                ? `finished ${e.ok} ${e.diagnostic ?? ''}`
                : 'request',
          ),
      });

      await summary.step('Leshan client: bootstrap over coaps from ours', async () => {
        leshan = await startLeshanClient({ endpoint: EP, uri: `coaps://127.0.0.1:${bsCoaps.port}`, bootstrap: true, psk: BS_PSK });
        await leshan.waitForEvent('bootstrap-success', 30_000).catch((e: Error) => {
          throw new Error(
            `${e.message}\nour bootstrap server: ${bsEvents.join(' | ')}\n${lines.filter((l) => l.startsWith('bs')).join('\n')}`,
          );
        });
        assert.ok(ourBs!.dtls!.stats.handshakesCompleted >= 1);
        return bsEvents.join('; ').slice(0, 100);
      });
      await summary.step('Leshan client: register over coaps to ours', async () => {
        await leshan!.waitForEvent('registration-success', 30_000).catch((e: Error) => {
          throw new Error(`${e.message}\nour server: ${lines.filter((l) => l.startsWith('server')).join('\n')}`);
        });
        const reg = serverEvents.find((e) => e.type === 'registered' && e.reg.endpoint === EP);
        assert.ok(reg && reg.type === 'registered', 'our server saw the registration');
        assert.equal(reg.reg.secure, true);
        assert.equal(reg.reg.pskIdentity, SERVER_PSK.identity);
        return `lwm2m ${reg.reg.lwm2mVersion}, PSK identity ${reg.reg.pskIdentity}`;
      });
      await summary.step('our server: Read /3/0 of the Leshan client over coaps', async () => {
        await new Promise((r) => setTimeout(r, 50)); // let our 2.01 reach the client first
        const r = await ourServer!.read(EP, '/3/0', ContentFormat.TLV);
        assert.equal(r.code, '2.05');
        assert.equal(r.records?.find((x) => x.path.resourceId === 0)?.value, 'Eclipse Leshan');
        return `${r.records?.length ?? 0} records`;
      });
    });
  });
});

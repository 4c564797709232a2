// Interop with Eclipse Leshan, both directions:
//  1. our client (firmware/lwm2m, Node port) bootstraps from a Leshan bootstrap server and is
//     driven by the Leshan demo server through its REST API;
//  2. Leshan's client bootstraps from OUR bootstrap server and registers to OUR LwM2M server.
// A summary table (step, pass/fail, content format) is printed at the end.
import assert from 'node:assert/strict';

import { LwM2MClient, type ClientEvent } from '../../firmware/lwm2m/engine/client';
import { ContentFormat } from '../../firmware/formats';
import { FORM_FULL } from '../../firmware/lwm2m/registration/register-fallback';
import { consoleLogger, nodeRandom, nodeTimers, nodeWallClock, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { resolveHost } from '../../host/runtime';
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
  type LeshanEventStream,
  type LeshanServerHandle,
} from './leshan/harness';

interface Row {
  step: string;
  ok: boolean;
  format: string;
  note: string;
}
const summary: Row[] = [];

/** Runs one step, records it in the summary, rethrows its failure for mocha. */
async function step(name: string, format: string, body: () => Promise<string | void>): Promise<void> {
  try {
    const note = (await body()) ?? '';
    summary.push({ step: name, ok: true, format, note });
  } catch (e) {
    summary.push({
      step: name,
      ok: false,
      format,
      note: String((e as Error).message)
        .split('\n')[0]!
        .slice(0, 100),
    });
    throw e;
  }
}

function printSummary(): void {
  const w = [Math.max(4, ...summary.map((r) => r.step.length)), 4, Math.max(6, ...summary.map((r) => r.format.length))];
  const line = (a: string, b: string, c: string, d: string) => `      ${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c.padEnd(w[2]!)}  ${d}`;
  console.log(`\n      Leshan ${LESHAN_VERSION} interop summary`);
  // format: the content format Leshan asked for (Accept) or wrote, and decoded without error
  console.log(line('step', 'ok', 'format', 'note'));
  for (const r of summary) console.log(line(r.step, r.ok ? 'pass' : 'FAIL', r.format, r.note));
  const failed = summary.filter((r) => !r.ok).length;
  console.log(`      interop steps: ${summary.length - failed} pass, ${failed} fail\n`);
}

const quiet = consoleLogger('error');

describe(`Leshan ${LESHAN_VERSION} interop`, function () {
  this.timeout(60_000);

  before(async function () {
    this.timeout(12 * 60_000); // cold Maven fetch, bounded inside ensureLeshan
    await ensureLeshan();
  });

  after(async function () {
    this.timeout(30_000);
    await stopAllJava();
    printSummary();
  });

  describe('our client against the Leshan bootstrap server and server', function () {
    const EP = 'xs-lwm2m-interop';
    let server: LeshanServerHandle;
    let bs: LeshanBootstrapHandle;
    let events: LeshanEventStream;
    let client: LwM2MClient | undefined;
    let clientUdp: UdpTransport | undefined;
    const clientEvents: ClientEvent[] = [];

    before(async function () {
      this.timeout(120_000);
      [server, bs] = await Promise.all([startLeshanServer(), startLeshanBootstrapServer()]);
      events = await server.rest.events(EP);
    });

    after(async function () {
      this.timeout(20_000);
      events?.close();
      await client?.stop().catch(() => undefined);
      clientUdp?.close(); // the CoAP endpoint does not own its transport
    });

    it('bootstraps from the Leshan bootstrap server (Delete /, Security + Server, Finish)', async () => {
      await step('bootstrap from Leshan', 'TLV', async () => {
        await bs.rest.setConfig(
          EP,
          bootstrapConfig({ serverUri: server.coapUri, shortServerId: 123, lifetime: 120, contentFormat: 'TLV' }),
        );
        // as host/runtime.ts startNodeClient, but keeping the socket so the test can close it
        clientUdp = await openUdp({ port: 0, address: '127.0.0.1', log: quiet });
        client = new LwM2MClient({
          endpointName: EP,
          transport: clientUdp,
          timers: nodeTimers,
          random: nodeRandom,
          log: quiet,
          wallClock: nodeWallClock,
          resolveHost,
          factory: { bootstrap: { uri: bs.coapUri } },
          device: { manufacturer: 'xs-lwm2m', modelNumber: 'host', serialNumber: 'interop-0001', firmwareVersion: '0.1.0' },
          onEvent: (e) => clientEvents.push(e),
        });
        client.start();
        const session = await bs.rest.waitForSession(EP, 30_000);
        return session
          .filter((e) => e.event === 'response')
          .map((e) => e.detail!.replace(/Bootstrap|Request/g, ''))
          .join('; ');
      });
    });

    it('registers to the Leshan server', async () => {
      await step('register to Leshan', 'LINK', async () => {
        const reg = await server.rest.waitForRegistration(EP, 30_000);
        assert.equal(reg.endpoint, EP);
        assert.ok(
          reg.objectLinks.some((l) => l.url === '/3/0'),
          JSON.stringify(reg.objectLinks),
        );
        // Leshan reads a list in ct: the first, full form of Register is taken (registration/register-fallback.ts).
        assert.equal(reg.lwM2mVersion, '1.1');
        assert.match(
          reg.objectLinks.find((l) => l.url === '/')?.attributes?.ct ?? '',
          /110 112 11542 11543/,
          JSON.stringify(reg.objectLinks[0]),
        );
        assert.equal(client!.registeredServers[0]?.registerForm, FORM_FULL);
        return `lwm2m ${reg.lwM2mVersion}, binding ${reg.bindingMode}, lifetime ${reg.lifetime}`;
      });
    });

    for (const format of ['TLV', 'SENML_CBOR'] as const) {
      it(`Read /3/0 in ${format}`, async () => {
        await step(`Read /3/0`, format, async () => {
          const r = await server.rest.read(EP, '/3/0', { format });
          assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
          assert.equal(resourceValue(r.content, 0), 'xs-lwm2m');
          return `${r.content?.resources?.length ?? 0} resources`;
        });
      });
    }

    it('Write /3/0/14 and read it back', async () => {
      await step('Write /3/0/14 + Read back', 'TLV/TEXT', async () => {
        const w = await server.rest.writeResource(EP, '/3/0/14', '+02', { format: 'TLV' });
        assert.equal(w.code, '2.04', `${w.status} ${w.errormessage ?? ''}`);
        const r = await server.rest.read(EP, '/3/0/14', { format: 'TEXT' });
        assert.equal(r.code, '2.05', `${r.status} ${r.errormessage ?? ''}`);
        assert.equal(r.content?.value, '+02');
      });
    });

    it('Execute /1/0/8 (Registration Update Trigger) sends an Update', async () => {
      await step('Execute /1/0/8', '-', async () => {
        const before = events.ofType('UPDATED').length;
        const x = await server.rest.execute(EP, '/1/0/8');
        assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
        await events.waitFor('UPDATED', 15_000, () => events.ofType('UPDATED').length > before, true);
      });
    });

    it('Discover /3/0', async () => {
      await step('Discover /3/0', 'LINK', async () => {
        const d = await server.rest.discover(EP, '/3/0');
        assert.equal(d.code, '2.05', `${d.status} ${d.errormessage ?? ''}`);
        const urls = (d.objectLinks ?? []).map((l) => l.url);
        assert.ok(urls.includes('/3/0/0'), urls.join(','));
        return `${urls.length} links`;
      });
    });

    it('Write-Attributes pmin/pmax on /3/0/13', async () => {
      await step('Write-Attributes /3/0/13', '-', async () => {
        const a = await server.rest.writeAttributes(EP, '/3/0/13', { pmin: 1, pmax: 1 });
        assert.equal(a.code, '2.04', `${a.status} ${a.errormessage ?? ''}`);
        const d = await server.rest.discover(EP, '/3/0/13');
        const link = (d.objectLinks ?? []).find((l) => l.url === '/3/0/13');
        return `discover: ${JSON.stringify(link?.attributes ?? {})}`;
      });
    });

    it('Observe /3/0/13 delivers ≥3 notifications, Cancel stops them', async function () {
      this.timeout(40_000);
      await step('Observe /3/0/13 (3 notifications)', 'TLV', async () => {
        const o = await server.rest.observe(EP, '/3/0/13', { format: 'TLV' });
        assert.equal(o.code, '2.05', `${o.status} ${o.errormessage ?? ''}`);
        const notes = await events.notifications(EP, '/3/0/13', 3, 15_000);
        return `${notes.length} notifications`;
      });
      await step('Cancel observation', '-', async () => {
        await server.rest.cancelObservation(EP, '/3/0/13');
        // Leshan cancels passively (RST on the next notification, RFC 7641 §3.6):
        // allow that one in flight, then nothing more for 3 pmax periods.
        await new Promise((r) => setTimeout(r, 1500));
        const settled = events.ofType('NOTIFICATION').length;
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal(events.ofType('NOTIFICATION').length, settled, 'notifications continued after cancel');
      });
    });

    it('Bootstrap-Request Trigger (Execute /1/0/9) re-bootstraps and re-registers', async function () {
      this.timeout(60_000);
      await step('Bootstrap-Request Trigger /1/0/9', 'TLV', async () => {
        const regsBefore = clientEvents.filter((e) => e.type === 'registered').length;
        const x = await server.rest.bootstrapRequestTrigger(EP, 0);
        assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
        await bs.rest.waitForSession(EP, 30_000, 2);
        const deadline = Date.now() + 30_000;
        while (clientEvents.filter((e) => e.type === 'registered').length <= regsBefore) {
          if (Date.now() > deadline) throw new Error(`no re-registration; client events: ${JSON.stringify(clientEvents.slice(-8))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await server.rest.waitForRegistration(EP, 10_000);
      });
    });
  });

  describe('the Leshan client against our bootstrap server and LwM2M server', function () {
    const EP = 'leshan-client-interop';
    let server: LwM2MServer | undefined;
    let bs: BootstrapServer | undefined;
    const sockets: UdpTransport[] = [];
    const serverEvents: ServerEvent[] = [];

    after(() => {
      server?.close();
      bs?.close();
      for (const s of sockets) s.close();
    });

    it('bootstraps from our bootstrap server, registers to our server, which reads /3/0 (TLV)', async function () {
      this.timeout(60_000);
      const serverUdp = await openUdp({ address: '127.0.0.1', log: quiet });
      const bsUdp = await openUdp({ address: '127.0.0.1', log: quiet });
      sockets.push(serverUdp, bsUdp);
      const serverUri = `coap://127.0.0.1:${serverUdp.port}`;
      const bsUri = `coap://127.0.0.1:${bsUdp.port}`;
      server = new LwM2MServer({
        transport: serverUdp,
        timers: nodeTimers,
        random: nodeRandom,
        log: quiet,
        onEvent: (e) => serverEvents.push(e),
      });
      const bsEvents: string[] = [];
      bs = new BootstrapServer({
        transport: bsUdp,
        timers: nodeTimers,
        random: nodeRandom,
        log: quiet,
        config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: serverUri, ssid: 101, lifetime: 60 }] } } },
        onEvent: (e) =>
          bsEvents.push(
            e.type === 'step'
              ? `${e.operation} ${e.path} ${e.code}`
              : e.type === 'finished'
                ? `finished ${e.ok} ${e.diagnostic ?? ''}`
                : 'request',
          ),
      });

      let leshan: Awaited<ReturnType<typeof startLeshanClient>> | undefined;
      await step('Leshan client: bootstrap from ours', 'TLV', async () => {
        leshan = await startLeshanClient({ endpoint: EP, uri: bsUri, bootstrap: true });
        await leshan.waitForEvent('bootstrap-success', 30_000).catch((e: Error) => {
          throw new Error(`${e.message}\nour bootstrap server: ${bsEvents.join(' | ')}`);
        });
        return bsEvents.join('; ').slice(0, 100);
      });
      await step('Leshan client: register to ours', 'LINK', async () => {
        await leshan!.waitForEvent('registration-success', 30_000);
        const reg = serverEvents.find((e) => e.type === 'registered' && e.reg.endpoint === EP);
        assert.ok(reg, 'our server saw the registration');
        return `lwm2m ${reg.reg.lwm2mVersion}, ${reg.reg.links.length} links`;
      });
      await step('our server: Read /3/0 of Leshan client', 'TLV', async () => {
        await new Promise((r) => setTimeout(r, 50)); // let our 2.01 reach the client first
        const r = await server!.read(EP, '/3/0', ContentFormat.TLV);
        assert.equal(r.code, '2.05');
        assert.equal(r.contentFormat, ContentFormat.TLV);
        const manufacturer = r.records?.find((x) => x.path.resourceId === 0)?.value;
        assert.equal(manufacturer, 'Eclipse Leshan');
        return `${r.records?.length ?? 0} records`;
      });
      await leshan?.stop();
    });
  });
});

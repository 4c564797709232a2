// Bad bootstrap configuration on the Moddable Linux runtime: each is a clear
// stop at boot (one error line, no client started), never a client idling for
// ever; and a bootstrap URI naming `localhost` works. One output folder,
// rebuilt with each case's build arguments (only the configuration changes).
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleLogger, nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { until } from './flow';
import { LinFirmware } from './lin-run';
import { buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-config';
const quiet = consoleLogger('error');

describe('bad bootstrap configuration on the Moddable Linux runtime: a clear stop', function () {
  this.timeout(10 * 60_000); // each case rebuilds
  let sdk: Sdk;
  let flashDir: string;
  let fw: LinFirmware | undefined;

  before(function () {
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-config-'));
  });

  afterEach(async () => {
    await fw?.stop('SIGKILL');
    fw = undefined;
  });
  after(() => {
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  async function boot(config: Record<string, string>, name: string): Promise<LinFirmware> {
    const { so } = await buildLin(sdk, { name: 'lin-config', config: { flashDirectory: `${flashDir}/`, logLevel: 'info', ...config } });
    fw = LinFirmware.start(sdk, so, name);
    return fw;
  }

  /** The run logs `re` as an error, starts no client, and stays up (a stop, not a crash). */
  async function stops(run: LinFirmware, re: RegExp, ms = 15_000): Promise<string> {
    const [line] = await run.waitForLog(/\[lwm2m\] E boot: .*the LwM2M client is not started/, ms);
    assert.match(line, re);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      run.logLines().filter((l) => /client: starting|Bootstrap-Request/.test(l)),
      [],
      'no client started',
    );
    assert.equal(run.proc.exitCode, null, 'the runtime stays up');
    assert.deepEqual(run.xsErrors(), []);
    return line;
  }

  it('a malformed bootstrap URI (coap//…)', async () => {
    const line = await stops(
      await boot({ endpoint: EP, bootstrap: 'coap//127.0.0.1:5685' }, 'malformed URI'),
      /bootstrap=coap\/\/127\.0\.0\.1:5685: malformed: expected coap:\/\/<host>\[:port\]/,
    );
    console.log(`      ${line}`);
  });

  it('an unknown scheme', async () => {
    await stops(await boot({ endpoint: EP, bootstrap: 'http://127.0.0.1:5685' }, 'unknown scheme'), /unknown scheme "http"/);
  });

  it('a host name that does not resolve (RFC 6761 .invalid)', async () => {
    const line = await stops(
      await boot({ endpoint: EP, bootstrap: 'coap://bootstrap.invalid:5685' }, 'unresolvable host'),
      /the host "bootstrap\.invalid" cannot be resolved \(3 look-ups\)/,
      60_000,
    );
    console.log(`      ${line}`);
  });

  it('no endpoint= and no MAC to derive one from', async () => {
    await stops(await boot({ bootstrap: 'coap://127.0.0.1:5685' }, 'no endpoint'), /no endpoint= and no MAC address/);
  });

  it('a bootstrap URI naming localhost bootstraps and registers', async () => {
    const bsUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const srvUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    const server = new LwM2MServer({ transport: srvUdp, timers: nodeTimers, random: nodeRandom, log: quiet });
    const bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://localhost:${srvUdp.port}`, ssid: 101, lifetime: 300 }] } } },
    });
    try {
      const run = await boot({ endpoint: EP, bootstrap: `coap://localhost:${bsUdp.port}` }, 'localhost');
      await until(
        () => server.clients.has(EP),
        30_000,
        'registration through localhost',
        () => run.proc.log(60),
      );
      assert.deepEqual(
        run.logLines().filter((l) => /\] E /.test(l)),
        [],
      );
    } finally {
      server.close();
      bs.close();
    }
  });
});

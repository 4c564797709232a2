// The web console and a device that stopped answering, in headless Chromium at
// the widths of a laptop (1024 and 1280 px): an operation shows as waiting at
// once, and ends within the server's bound as "no answer (HTTP 504)" naming the
// device and the operation, not after CoAP's own 93 s. The API says the same.
import assert from 'node:assert/strict';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { startConsole, type WebConsole } from '../../host/console/console-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { SilentDevices } from '../support/fake-device';
import { openBrowser, untilText } from './browser';

const TIMEOUT_MS = 3000;

describe('web console: a device that does not answer', function () {
  this.timeout(60_000);
  let server: LwM2MServer;
  let web: WebConsole;
  let devices: SilentDevices;

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger, requestTimeoutMs: TIMEOUT_MS });
    web = await startConsole({ server, port: 0 });
    devices = await SilentDevices.open(udp.port);
    await devices.register('dead-1');
  });

  after(async () => {
    await web?.close();
    devices?.close();
    server?.close();
  });

  it('the API answers 504 within the bound, naming the device and the operation', async () => {
    const res = await fetch(`${web.url}api/devices/dead-1/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"path":"/3/0/0"}',
    });
    assert.equal(res.status, 504);
    assert.deepEqual(await res.json(), {
      error: `the device did not answer: no answer from dead-1 to Read /3/0/0 within ${TIMEOUT_MS / 1000} s`,
    });
  });

  for (const width of [1024, 1280]) {
    it(`at ${width} px: a Read shows as waiting, then as no answer with the reason`, async () => {
      const browser = await openBrowser({ width, height: 800 });
      try {
        const { page } = browser;
        await page.goto(`${web.url}#/devices/dead-1`);
        await page.waitForSelector('body[data-ready]');
        await page.click('.instance[data-path="/3/0"] > header [data-op="read"]');
        await untilText(page, '#op-log li.pending', /Read \/3\/0 → waiting for the device…/);
        const failed = await untilText(page, '#op-log li.error', /Read \/3\/0 → no answer \(HTTP 504\)/, 20_000);
        assert.match(failed, new RegExp(`no answer from dead-1 to Read /3/0 within ${TIMEOUT_MS / 1000} s`));
        assert.equal(await page.locator('#op-log li.pending').count(), 0, 'the waiting line became the failure');
      } finally {
        await browser.close();
      }
    });
  }
});

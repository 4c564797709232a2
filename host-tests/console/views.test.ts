// The web console at the widths of a laptop (1024 and 1280 px), in headless
// Chromium, with one real client and 50 devices: the resource table fits its
// column; the device list counts, searches and sorts; results and values come
// back after a reload; a one-sample plot spans a minute, not years, and a Time
// is plotted as a time; PSKs are added and removed in Security; the
// Bootstrap-Server's configuration is edited, checked as a --config file is.
// A server, a Bootstrap-Server and the console in this process; screenshots in
// build/out/console-screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import { startConsole, type WebConsole } from '../../host/console/console-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { startNodeClient } from '../../host/runtime';
import { SilentDevices } from '../support/fake-device';
import { openBrowser, untilText, type Browser } from './browser';

const EP = 'views-1';
const MANY = 50;
const KEY = '00112233445566778899aabbccddeeff';
const shots = fileURLToPath(new URL('../../build/out/console-screenshots/', import.meta.url));

describe('web console views at laptop widths (headless Chromium)', function () {
  this.timeout(90_000);
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let web: WebConsole;
  let client: LwM2MClient;
  let devices: SilentDevices;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    const srvUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const bsUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: srvUdp, timers: nodeTimers, random: nodeRandom, log: silentLogger, requestTimeoutMs: 5000 });
    bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      config: { endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101, lifetime: 120 }] } } },
    });
    web = await startConsole({ server, bootstrap: bs, port: 0 });
    const registered = new Promise<void>((r) =>
      server.listeners.add((e) => {
        if (e.type === 'registered' && e.reg.endpoint === EP) r();
      }),
    );
    client = await startNodeClient({ endpointName: EP, bootstrapUri: `coap://127.0.0.1:${bsUdp.port}`, log: silentLogger });
    await registered;
    devices = await SilentDevices.open(srvUdp.port);
    for (let i = 0; i < MANY; i++) await devices.register(`dev-${String(i).padStart(2, '0')}`);
  });

  after(async () => {
    await web?.close();
    await client?.stop();
    devices?.close();
    server?.close();
    bs?.close();
  });

  for (const width of [1024, 1280]) {
    describe(`at ${width} px`, () => {
      let browser: Browser;
      let page: Page;
      const shot = (name: string) => page.screenshot({ path: `${shots}${name}-${width}.png` });
      const open = async (hash: string) => {
        await page.goto(`${web.url}${hash}`);
        await page.waitForSelector('body[data-ready]');
      };

      before(async () => {
        browser = await openBrowser({ width, height: 800 });
        page = browser.page;
      });
      after(async () => {
        await browser?.close();
      });

      it("the resource table fits its column: every row's buttons within the page, nothing to scroll sideways", async () => {
        await open(`#/devices/${EP}`);
        await page.click('.instance[data-path="/3/0"] > header [data-op="read"]');
        await untilText(page, 'tr[data-path="/3/0/0"] td.value', /^xs-lwm2m$/);
        // Measured in the page (this program has no DOM types: the function is given as text).
        const m = (await page.evaluate(`(() => {
          const slot = document.getElementById('tree-slot');
          const buttons = [...document.querySelectorAll('.instance[data-path="/3/0"] tr[data-path] td.actions button')];
          return {
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            slot: slot.scrollWidth - slot.clientWidth,
            right: Math.max(...buttons.map((b) => b.getBoundingClientRect().right)),
            rows: buttons.length,
          };
        })()`)) as { page: number; slot: number; right: number; rows: number };
        assert.ok(m.rows > 10);
        assert.ok(m.page <= 0, `the page scrolls sideways by ${m.page} px`);
        assert.ok(m.slot <= 1, `the object tree is ${m.slot} px wider than its column`);
        assert.ok(m.right <= width, `a button ends at ${m.right} px`);
        assert.ok(await page.locator('#op-log li').first().isVisible(), 'the results are on the page');
        await shot('objects');
      });

      it('the device list counts, searches and sorts 51 devices', async () => {
        await open('#/devices');
        await untilText(page, '#device-count', new RegExp(`^${MANY + 1} · ${MANY + 1} registered$`));
        assert.equal(await page.locator('#device-list li').count(), MANY + 1);
        await page.fill('#device-search', 'dev-4');
        await untilText(page, '#device-count', /· 10 shown$/);
        assert.deepEqual(
          await page.locator('#device-list li strong').allTextContents(),
          Array.from({ length: 10 }, (_, i) => `dev-4${i}`),
        );
        await page.fill('#device-search', 'nothing-like-it');
        await untilText(page, '#device-list', /no device matches "nothing-like-it"/);
        await page.fill('#device-search', '');
        await page.selectOption('#device-sort', 'name');
        assert.equal(await page.locator('#device-list li strong').first().textContent(), 'dev-00');
        assert.equal(await page.locator('#device-list li strong').last().textContent(), EP);
        await page.selectOption('#device-sort', 'recent');
        assert.equal(await page.locator('#device-list li strong').first().textContent(), `dev-${MANY - 1}`, 'the last to register first');
        await shot('device-list');
        await page.selectOption('#device-sort', 'registered');
      });

      it('results and values come back after a reload', async () => {
        await open(`#/devices/${EP}`);
        await page.click('tr[data-path="/3/0/14"] [data-op="read"]');
        await untilText(page, '#op-log li:first-child', /Read \/3\/0\/14 → 2\.05 Content/);
        await page.reload();
        await page.waitForSelector('body[data-ready]');
        await untilText(page, '#op-log li:first-child', /Read \/3\/0\/14 → 2\.05 Content/);
        assert.ok((await page.locator('#op-log li', { hasText: 'Read /3/0 → 2.05 Content' }).count()) >= 1, 'the older result too');
        assert.equal(await page.locator('tr[data-path="/3/0/0"] td.value').textContent(), 'xs-lwm2m', 'the values read before the reload');
      });

      it('a one-sample plot spans about a minute with clock labels; a Time is plotted as a time', async () => {
        await open(`#/devices/${EP}`);
        await page.click('.instance[data-path="/1/0"] > header [data-op="read"]');
        await untilText(page, 'tr[data-path="/1/0/1"] td.value', /^120 s$/);
        await page.click('tr[data-path="/1/0/1"] [data-op="observe"]');
        await page.locator('tr[data-path="/1/0/1"] [data-op="cancel"]').waitFor();
        await page.click('tr[data-path="/3/0/13"] [data-op="observe"]');
        await page.locator('tr[data-path="/3/0/13"] [data-op="cancel"]').waitFor();
        await open('#/live');
        const lifetime = page.locator('.observation', { hasText: '/1/0/1' }).locator('.plot');
        await lifetime.locator('canvas').waitFor();
        assert.equal(await lifetime.getAttribute('data-points'), '1');
        const span = Number(await lifetime.getAttribute('data-x-span'));
        assert.ok(span >= 30 && span <= 120, `x axis spans ${span} s`);
        const xLabels = (await lifetime.getAttribute('data-x-labels'))!.split('|');
        assert.ok(xLabels.length > 0 && xLabels.every((l) => /^\d\d:\d\d:\d\d$/.test(l)), `x labels ${xLabels.join(', ')}`);
        assert.ok((await lifetime.getAttribute('data-y-labels'))!.split('|').every((l) => /^-?\d+(\.\d+)?$/.test(l)));
        const time = page.locator('.observation', { hasText: '/3/0/13' }).locator('.plot');
        await time.locator('canvas').waitFor();
        const timeLabels = (await time.getAttribute('data-time-labels'))!.split('|');
        assert.ok(
          timeLabels.length > 0 && timeLabels.every((l) => /^\d\d:\d\d:\d\d$/.test(l)),
          `Current Time labels ${timeLabels.join(', ')}`,
        );
        assert.equal(await time.getAttribute('data-y-labels'), null, 'no axis of plain numbers for a Time');
        await shot('live');
        for (let n = await page.locator('.observation').count(); n > 0; n--) {
          await page.locator('.observation [data-op="cancel"]').first().click();
          await page.waitForFunction(`document.querySelectorAll('.observation').length === ${n - 1}`);
        }
      });

      it('Security: a PSK added, shown by its identity only, refused for an identity in use, and removed', async () => {
        await open('#/security');
        await page.fill('#psk-form [name=endpoint]', 'psk-9');
        await page.fill('#psk-form [name=identity]', 'identity-9');
        await page.fill('#psk-form [name=key]', KEY);
        await page.click('#psk-form button[type=submit]');
        await untilText(page, '#psk-status', /psk-9: PSK identity "identity-9" set; it must register over coaps/);
        await untilText(page, '#psk-table tr[data-endpoint="psk-9"]', /psk-9identity-9/);
        assert.equal(await page.inputValue('#psk-form [name=key]'), '', 'the key field is cleared');
        assert.ok(!(await page.content()).includes(KEY), 'the key is not on the page');
        assert.equal(server.psk.forEndpoint('psk-9')?.identity, 'identity-9');
        await page.fill('#psk-form [name=endpoint]', 'psk-10');
        await page.fill('#psk-form [name=identity]', 'identity-9');
        await page.fill('#psk-form [name=key]', KEY);
        await page.click('#psk-form button[type=submit]');
        await untilText(page, '#psk-status.error', /PSK identity "identity-9" already belongs to psk-9/);
        await shot('security');
        await page.click('#psk-table tr[data-endpoint="psk-9"] [data-op="remove-psk"]');
        await untilText(page, '#psk-status', /psk-9: PSK removed/);
        assert.equal(server.psk.forEndpoint('psk-9'), undefined);
      });

      it("Bootstrap: an entry edited — refused with the configuration check's reasons, then saved and used", async () => {
        await open('#/bootstrap');
        await page.locator(`#config-entries [data-entry="${EP}"]`).click();
        await untilText(page, '#config', /Entry used for views-1/);
        await page.click('#config [data-op="edit-entry"]');
        const text = await page.inputValue('#config-text');
        assert.deepEqual(JSON.parse(text).servers[0].lifetime, 120);
        await page.fill('#config-text', text.replace('"lifetime": 120', '"lifetime": -3').replace('"ssid"', '"sid"'));
        await page.click('#config-save');
        const problems = await untilText(page, '#config-problems', /lifetime: must be 0 or more/);
        assert.match(problems, /servers\[0\]\.sid: unknown field \(did you mean "ssid"\?\)/);
        assert.equal(bs.config.endpoints[EP].servers[0].lifetime, 120, 'nothing changed');
        await shot('bootstrap-edit');
        await page.fill('#config-text', text.replace('"lifetime": 120', '"lifetime": 600'));
        await page.click('#config-save');
        await untilText(page, '#config', /Saved: the next bootstrap of views-1 uses it\./);
        await untilText(page, '#config table.servers', /600 s/);
        assert.equal(bs.config.endpoints[EP].servers[0].lifetime, 600);
        // A new entry, then deleted.
        await page.fill('#config-form input', 'new-1');
        await page.click('#config-form button[type=submit]');
        await page.click('#config [data-op="new-entry"]');
        await page.click('#config-save');
        await untilText(page, '#config-entries', /new-1/);
        assert.ok(bs.config.endpoints['new-1']);
        await page.click('#config [data-op="edit-entry"]');
        await page.click('#config-delete');
        await untilText(page, '#config', /Deleted the entry for new-1\./);
        assert.equal(bs.config.endpoints['new-1'], undefined);
        // Back as it was, for the other width.
        bs.configure({
          ...bs.config,
          endpoints: { ...bs.config.endpoints, [EP]: { servers: [{ ...bs.config.endpoints[EP].servers[0], lifetime: 120 }] } },
        });
      });
    });
  }
});

// The web console of the demo in headless Chromium:
// the real page, served by `xs-lwm2m demo --http 0`, driven like a person
// would, with a screenshot of each view in build/out/console-screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { ResultJson } from '../../host/console/api-types';
import { ManagedProcess } from '../support/managed-process';
import { openBrowser, untilAtLeast, untilText, type Browser } from './browser';

const EP = 'xs-lwm2m-demo';
const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const shots = fileURLToPath(new URL('../../build/out/console-screenshots/', import.meta.url));

describe('web console of the demo (headless Chromium)', function () {
  this.timeout(60_000);
  let demo: ManagedProcess;
  let browser: Browser;
  let page: Page;
  let url: string;

  const shot = (name: string) => page.screenshot({ path: `${shots}${name}.png` });
  /** What the device holds, asked through the API rather than the page. */
  const deviceValue = async (path: string) => {
    const res = await fetch(`${url}api/devices/${EP}/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path }),
    });
    const r = (await res.json()) as ResultJson;
    assert.equal(r.code, '2.05');
    return r.records![0].value;
  };
  const row = (path: string) => `tr[data-path="${path}"]`;
  const instanceButton = (path: string, op: string) => page.click(`.instance[data-path="${path}"] > header [data-op="${op}"]`);

  before(async () => {
    mkdirSync(shots, { recursive: true });
    demo = new ManagedProcess('demo', process.execPath, [bin, 'demo', '--http', '0']);
    url = (await demo.waitForLine(/^web console: (http:\/\/127\.0\.0\.1:\d+\/)$/, 30_000))[1];
    await demo.waitForLine(/Read \/3\/0 → 2\.05 Content/, 30_000);
    browser = await openBrowser();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await demo?.stop(5000, 'SIGINT'); // the demo de-registers on SIGINT
  });

  it('the demo client appears in Devices, registered', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    const item = page.locator(`#device-list [data-endpoint="${EP}"]`);
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /xs-lwm2m-demo127\.0\.0\.1:\d+/);
    await untilText(page, '#device-state', /^registered$/);
    assert.match((await page.locator('#registration').textContent()) ?? '', /Lifetime60 s.*BindingU.*LwM2M1\.1/);
    assert.match((await page.locator('#history').textContent()) ?? '', /registered — from 127\.0\.0\.1:\d+, lifetime 60 s/);
    await shot('devices');
  });

  it('Read /3/0 shows named values, the code by name and the format that came back', async () => {
    await instanceButton('/3/0', 'read');
    await untilText(page, `${row('/3/0/0')} td.value`, /^xs-lwm2m$/);
    assert.equal(await page.locator(`${row('/3/0/0')} td.name`).textContent(), 'Manufacturer');
    assert.equal(await page.locator(`${row('/3/0/17')} td.value`).textContent(), 'laptop');
    assert.match((await page.locator(`${row('/3/0/13')} td.value`).textContent()) ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+\)$/);
    assert.match((await page.locator('#op-log li').first().textContent()) ?? '', /Read \/3\/0 → 2\.05 Content\(?tlv/);
    await page.selectOption('#format', 'senml-json');
    await page.click(`${row('/3/0/1')} [data-op="read"]`);
    await untilText(page, '#op-log li:first-child', /Read \/3\/0\/1 as senml-json → 2\.05 Content\(?senml-json/);
    await page.selectOption('#format', '');
    await page.locator('.object[data-object="3"]').scrollIntoViewIfNeeded();
    await shot('objects');
  });

  it('a Write shows the new value', async () => {
    await page.fill(`${row('/3/0/14')} input.write-value`, '+05:30');
    await page.click(`${row('/3/0/14')} [data-op="write"]`);
    await untilText(page, `${row('/3/0/14')} td.value`, /^\+05:30$/);
    assert.ok((await page.locator('#op-log li', { hasText: 'Write /3/0/14 = +05:30 → 2.04 Changed' }).count()) === 1);
    assert.equal(await deviceValue('/3/0/14'), '+05:30');
  });

  it('a bad Write value shows an error and changes nothing', async () => {
    await instanceButton('/1/0', 'read');
    await untilText(page, `${row('/1/0/1')} td.value`, /^60 s$/);
    await page.fill(`${row('/1/0/1')} input.write-value`, 'abc');
    await page.click(`${row('/1/0/1')} [data-op="write"]`);
    const error = await untilText(page, '#op-log li.error', /Write \/1\/0\/1 = abc/);
    assert.match(error, /not sent \(HTTP 400\)/);
    assert.match(error, /\/1\/0\/1 Lifetime is an Integer \(64-bit signed\); "abc" is not one/);
    assert.equal(await page.locator(`${row('/1/0/1')} td.value`).textContent(), '60 s');
    assert.equal(await deviceValue('/1/0/1'), 60);
    await shot('write-error');
  });

  it("an error answer from the client shows its CoAP code and the client's reason", async () => {
    await page.click(`${row('/3/0/13')} [data-op="attributes"]`);
    assert.equal(await page.inputValue('#form-attributes input[name=path]'), '/3/0/13');
    await page.fill('#form-attributes input[name=values]', 'pmin=-1');
    await page.click('#form-attributes [data-op="write-attributes"]');
    const refused = await untilText(page, '#op-log li.error', /Write-Attributes \/3\/0\/13 pmin=-1/);
    assert.match(refused, /→ 4\.00 Bad Request/);
    assert.match(refused, /attribute pmin is not a number|pmin must be a non-negative integer/, 'the reason the client gave');
    await page.fill('#form-attributes input[name=values]', 'pmin=1 pmax=60');
    await page.click('#form-attributes [data-op="write-attributes"]');
    await untilText(page, '#op-log li:first-child', /Write-Attributes \/3\/0\/13 pmin=1 pmax=60 → 2\.04 Changed/);
    await page.click(`${row('/3/0/13')} [data-op="discover"]`);
    await untilText(page, '#op-log li:first-child', /Discover \/3\/0\/13 → 2\.05 Content<\/3\/0\/13>;pmin=1;pmax=60/);
  });

  it('an Observe on a numeric resource makes the plot grow; Send data arrives', async () => {
    await page.click(`${row('/3/0/7')} [data-op="observe"]`);
    await page.locator(`${row('/3/0/7')} [data-op="cancel"]`).waitFor();
    await page.goto(`${url}#/live`);
    const plot = page.locator('.observation .plot');
    await plot.waitFor();
    const before = await untilAtLeast(page, '.observation .plot', 'data-points', 3);
    await untilAtLeast(page, '.observation .plot', 'data-points', before + 1);
    assert.equal(await page.locator('.observation .plot canvas').count(), 1, 'uPlot drew the values');
    assert.match((await page.locator('.observation header').textContent()) ?? '', /xs-lwm2m-demo \/3\/0\/7/);
    await untilText(page, '#sends li', /xs-lwm2m-demo senml-cbor\/3\/0\/7\/0 Power Source Voltage = \d+/, 30_000);
    await shot('live');
  });

  it("the bootstrap sequence diagram lists the messages of the demo's bootstrap with their codes", async () => {
    await page.goto(`${url}#/bootstrap`);
    await page.locator('svg.sequence').waitFor();
    assert.deepEqual(await page.locator('svg.sequence text.message').allTextContents(), [
      `Bootstrap-Request /bs?ep=${EP}  (POST)`,
      'Delete /  (DELETE)',
      'Write /0  (PUT, tlv)',
      'Write /1  (PUT, tlv)',
      'Discover /  (GET)',
      'Finish /bs  (POST)',
    ]);
    assert.deepEqual(await page.locator('svg.sequence text.reply').allTextContents(), [
      '2.04 Changed',
      '2.02 Deleted',
      '2.04 Changed',
      '2.04 Changed',
      '2.05 Content',
      '2.04 Changed',
    ]);
    assert.equal(await page.locator('svg.sequence .outcome-text').textContent(), 'Bootstrap finished: configuration accepted');
    const config = await untilText(page, '#config', /coap:\/\/127\.0\.0\.1:\d+101/);
    assert.match(config, /Secret Key\(hidden\)/);
    await shot('bootstrap');
  });
});

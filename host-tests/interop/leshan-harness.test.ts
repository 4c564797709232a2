// Proves the Leshan harness before our client exists: Leshan's own client bootstraps from
// a Leshan bootstrap server, registers to the Leshan demo server, and the demo's REST API
// drives it (Read in TLV and SenML CBOR, Write, Discover, Observe/Cancel, Bootstrap-Request
// Trigger). Needs Java 17 + Maven; fetches Leshan through interop/fetch-leshan.sh.
import assert from 'node:assert/strict';

import {
  JavaMissingError,
  LESHAN_VERSION,
  bootstrapConfig,
  checkJava,
  ensureLeshan,
  resourceValue,
  startLeshanBootstrapServer,
  startLeshanClient,
  startLeshanServer,
  stopAllJava,
  type LeshanBootstrapHandle,
  type LeshanClientHandle,
  type LeshanEventStream,
  type LeshanServerHandle,
} from './leshan/harness';

const EP = 'leshan-harness-client';

describe(`Leshan ${LESHAN_VERSION} harness: Leshan client against Leshan bootstrap server and server`, function () {
  // JVM start and CoAP exchanges: generous, bounded.
  this.timeout(60_000);

  let server: LeshanServerHandle;
  let bs: LeshanBootstrapHandle;
  let client: LeshanClientHandle | undefined;
  let events: LeshanEventStream | undefined;

  before(async function () {
    this.timeout(12 * 60_000); // a cold Maven fetch is bounded at 10 min inside ensureLeshan
    await ensureLeshan();
    [server, bs] = await Promise.all([startLeshanServer(), startLeshanBootstrapServer()]);
    console.log(`      Leshan server ready in ${server.readyMs} ms, bootstrap server ready in ${bs.readyMs} ms`);
    events = await server.rest.events(EP);
  });

  after(async function () {
    this.timeout(30_000);
    events?.close();
    await stopAllJava();
  });

  it('a missing Java is reported clearly, without hanging', function () {
    const saved = process.env.JAVA;
    process.env.JAVA = '/nonexistent/bin/java';
    try {
      assert.throws(
        () => checkJavaFresh(),
        (e: unknown) => e instanceof JavaMissingError && /Java 17\+/.test(e.message),
      );
    } finally {
      if (saved === undefined) delete process.env.JAVA;
      else process.env.JAVA = saved;
    }
  });

  it('the Leshan client bootstraps from the Leshan bootstrap server: Delete /, Security + Server, Finish', async () => {
    await bs.rest.setConfig(EP, bootstrapConfig({ serverUri: server.coapUri, shortServerId: 123, lifetime: 300 }));
    assert.ok((await bs.rest.listConfigs())[EP], 'config stored');

    client = await startLeshanClient({ endpoint: EP, uri: bs.coapUri, bootstrap: true });
    const session = await bs.rest.waitForSession(EP, 30_000);
    await client.waitForEvent('bootstrap-success');

    const sent = session.filter((e) => e.event === 'request').map((e) => e.detail);
    assert.ok(sent.includes('BootstrapDeleteRequest /'), `Delete '/' sent: ${sent.join(' | ')}`);
    assert.ok(
      sent.some((d) => /^BootstrapWriteRequest \/0\/\d+$/.test(d ?? '')),
      'Security instance written',
    );
    assert.ok(sent.includes('BootstrapWriteRequest /1/0'), 'Server instance written');
    assert.equal(sent.at(-1), 'BootstrapFinishRequest null', 'Finish is last');
    assert.ok(!session.some((e) => e.event === 'responseError' || e.event === 'requestFailure'), JSON.stringify(session));
  });

  it('then registers to the Leshan server with the bootstrapped account', async () => {
    const reg = await server.rest.waitForRegistration(EP, 30_000);
    assert.equal(reg.endpoint, EP);
    assert.equal(reg.lifetime, 300);
    assert.ok(
      reg.objectLinks.some((l) => l.url === '/3/0'),
      'Device instance announced',
    );
    const registration = await events!.waitFor('REGISTRATION', 10_000, () => true, true);
    assert.equal((registration.data as { endpoint: string }).endpoint, EP);
  });

  it('reads /3/0 through the REST API in TLV and in SenML CBOR', async () => {
    for (const format of ['TLV', 'SENML_CBOR'] as const) {
      const r = await server.rest.read(EP, '/3/0', { format });
      assert.equal(r.code, '2.05', `${format}: ${r.status} ${r.errormessage ?? ''}`);
      assert.equal(resourceValue(r.content, 0), 'Eclipse Leshan', `${format}: manufacturer`);
      assert.equal(resourceValue(r.content, 2), 'LESHAN-0001', `${format}: serial number`);
    }
  });

  it('writes a resource and reads it back; discovers /3/0', async () => {
    const w = await server.rest.writeResource(EP, '/3/0/14', '+02', { format: 'TLV' });
    assert.equal(w.code, '2.04');
    const r = await server.rest.read(EP, '/3/0/14', { format: 'TEXT' });
    assert.equal(r.content?.value, '+02');

    const d = await server.rest.discover(EP, '/3/0');
    assert.equal(d.code, '2.05');
    const urls = (d.objectLinks ?? []).map((l) => l.url);
    assert.ok(urls.includes('/3/0/0') && urls.includes('/3/0/14'), urls.join(','));
  });

  it('observes a resource, receives 3 notifications, then cancels', async () => {
    const o = await server.rest.observe(EP, '/3/0/15', { format: 'SENML_CBOR' });
    assert.equal(o.code, '2.05');
    // the Leshan client notifies on every change of the observed resource
    for (const tz of ['Europe/Paris', 'Asia/Tokyo', 'America/Lima']) {
      assert.equal((await server.rest.writeResource(EP, '/3/0/15', tz)).code, '2.04');
    }
    const notes = await events!.notifications(EP, '/3/0/15', 3, 20_000);
    assert.deepEqual(
      notes.slice(0, 3).map((n) => n.val.value),
      ['Europe/Paris', 'Asia/Tokyo', 'America/Lima'],
    );
    await server.rest.cancelObservation(EP, '/3/0/15');
  });

  it('Bootstrap-Request Trigger (Execute /1/0/9) makes the Leshan client bootstrap again', async () => {
    const x = await server.rest.bootstrapRequestTrigger(EP, 0);
    assert.equal(x.code, '2.04', `${x.status} ${x.errormessage ?? ''}`);
    await bs.rest.waitForSession(EP, 30_000, 2);
    await client!.waitForEvent('bootstrap-success', 30_000, 2);
    await client!.waitForEvent('registration-success', 30_000, 2);
    const reg = await server.rest.waitForRegistration(EP, 30_000);
    assert.equal(reg.endpoint, EP);
  });
});

/** checkJava without its success cache, so the failure path is really taken. */
function checkJavaFresh(): string {
  return checkJava(true);
}

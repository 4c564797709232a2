// Ctrl-C on `xs-lwm2m client` whose server has gone: it says it is
// de-registering and how long it waits, gives up on the De-register after that
// bound (it took CoAP's own 75-93 s, silently), and exits 0.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from '../support/managed-process';
import { VanishingServer } from '../support/fake-device';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));

describe('xs-lwm2m client: Ctrl-C after its server has gone', function () {
  this.timeout(60_000);
  let server: VanishingServer;
  let client: ManagedProcess | undefined;

  before(async () => {
    server = await VanishingServer.open();
  });
  after(async () => {
    await client?.stop(2000, 'SIGKILL');
    server.close();
  });

  it('tells what it waits for, gives up after 5 s and exits 0', async () => {
    client = new ManagedProcess('client', process.execPath, [
      bin,
      'client',
      '--server',
      `coap://127.0.0.1:${server.port}`,
      '--endpoint',
      'stop-1',
    ]);
    await client.waitForLine(/registration: registered ssid=1 at \/rd\/1/, 20_000);
    process.kill(client.pid!, 'SIGINT');
    await client.waitForLine(/^stopping: de-registering from 1 server \(waiting 5 s at most; Ctrl-C again exits at once\)$/, 5_000);
    await client.waitForLine(/registration: de-registering from ssid=1 127\.0\.0\.1:\d+/, 5_000);
    await client.waitForLine(
      /registration: de-register ssid=1 failed: no answer within 5 s; the server drops the registration when its lifetime ends/,
      15_000,
    );
    await client.waitForLine(/^stopped$/, 5_000);
    await client.exited;
    assert.equal(client.exitCode, 0, client.log());
    assert.ok(server.ignored >= 1, 'the De-register was sent');
  });
});

// The server prompt driven through its input stream against a real client on
// loopback: every mistake gets one clear line (never a stack trace), results
// carry names, codes and the format that came back, and nothing bad is sent.
import assert from 'node:assert/strict';
import type { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { startNodeClient, startNodeDevice, type NodeDevice } from '../../host/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Shell } from '../../host/shell';
import { PromptDriver } from '../support/prompt-driver';
import { SilentDevices } from '../support/fake-device';

const EP = 'prompt-1';

describe('server prompt (driven through its input stream)', () => {
  let server: LwM2MServer;
  let client: LwM2MClient;
  let shell: Shell;
  const prompt = new PromptDriver();
  const { lines } = prompt;
  const until = (pred: () => boolean) => prompt.until(pred);
  const cmd = (line: string) => prompt.cmd(line);

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    let registered!: () => void;
    const done = new Promise<void>((r) => {
      registered = r;
    });
    client = await startNodeClient({
      endpointName: EP,
      serverUri: `coap://127.0.0.1:${udp.port}`,
      log: silentLogger,
      onEvent: (e) => {
        if (e.type === 'registered') registered();
      },
    });
    await done;
    shell = prompt.start(server);
    await until(() => prompt.prompts === 1);
  });

  after(async () => {
    shell?.close();
    await client?.stop();
    server?.close();
  });

  afterEach(() => {
    for (const l of lines) assert.doesNotMatch(l, /^\s+at |Error:|undefined/, `no stack trace or raw error: ${l}`);
  });

  it('answers an unknown command as unknown, before asking for an endpoint', async () => {
    assert.deepEqual(await cmd('frob'), ['unknown command "frob"; try help']);
    assert.deepEqual(await cmd('frob ep /3/0'), ['unknown command "frob"; try help']);
  });

  for (const c of [
    'read',
    'write',
    'execute',
    'create',
    'delete',
    'discover',
    'attributes',
    'observe',
    'cancel',
    'read-composite',
    'write-composite',
    'observe-composite',
    'cancel-composite',
  ]) {
    it(`gives "${c}" without its arguments one usage line`, async () => {
      const out = await cmd(c);
      assert.equal(out.length, 1, out.join('\n'));
      assert.match(out[0], new RegExp(`^usage: ${c} <ep>`));
    });
  }

  it('names an endpoint that is not registered', async () => {
    assert.deepEqual(await cmd('read nobody /3/0'), ['nobody is not registered; list shows who is']);
  });

  it('lists the registered client with its lifetime and objects', async () => {
    const out = await cmd('list');
    assert.match(out[0], new RegExp(`^${EP}  127\\.0\\.0\\.1:\\d+  /rd/\\d+  lifetime 300 s  binding U  lwm2m 1\\.1$`));
    assert.match(out[1], /<\/1\/0>.*<\/3\/0>/);
  });

  it('reads a path typed without its leading slash, with resource names and the code by name', async () => {
    const out = await cmd(`read ${EP} 3/0`);
    assert.equal(out[0], '2.05 Content (tlv)');
    assert.ok(
      out.some((l) => /^\/3\/0\/0 Manufacturer\s+= "xs-lwm2m"$/.test(l)),
      out.join('\n'),
    );
  });

  it('shows which format came back', async () => {
    assert.equal((await cmd(`read ${EP} /3/0/0 senml-json`))[0], '2.05 Content (senml-json)');
    assert.equal((await cmd(`read ${EP} /3/0/0 senml-cbor`))[0], '2.05 Content (senml-cbor)');
    assert.equal((await cmd(`read ${EP} /3/0/0 json`))[0], '2.05 Content (json)');
  });

  it('refuses an unknown format instead of falling back to TLV', async () => {
    assert.deepEqual(await cmd(`read ${EP} /3/0 xml`), [
      'unknown format "xml": use one of text, opaque, cbor, senml-json, senml-cbor, tlv, json',
    ]);
  });

  it('shows a Time as a date beside its seconds, and units after numbers', async () => {
    const out = await cmd(`read ${EP} /3/0/13`);
    assert.match(out[1], /^\/3\/0\/13 Current Time = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+\)$/);
    assert.match((await cmd(`read ${EP} /1/0/1`))[1], /^\/1\/0\/1 Lifetime = 300 s$/);
  });

  it('refuses a value that is not of the resource type with one line, and sends nothing', async () => {
    assert.deepEqual(await cmd(`write ${EP} /1/0/1 abc`), ['/1/0/1 Lifetime is an Integer (64-bit signed); "abc" is not one']);
    assert.deepEqual(await cmd(`write ${EP} /1/0/6 maybe`), [
      '/1/0/6 Notification Storing When Disabled or Offline is a Boolean (true, false, 1 or 0); "maybe" is not one',
    ]);
    assert.deepEqual(await cmd(`write ${EP} /1/0 1=abc`), ['/1/0/1 Lifetime is an Integer (64-bit signed); "abc" is not one']);
    assert.deepEqual(await cmd(`write-composite ${EP} /1/0/1=1.5`), ['/1/0/1 Lifetime is an Integer (64-bit signed); "1.5" is not one']);
    assert.match((await cmd(`read ${EP} /1/0/1`))[1], /= 300 s$/);
  });

  it('writes a valid value and reads it back', async () => {
    assert.deepEqual(await cmd(`write ${EP} /1/0/6 false`), ['2.04 Changed']);
    assert.match((await cmd(`read ${EP} /1/0/6`))[1], /= false$/);
  });

  it("shows the code by name and the client's reason when an Execute is refused", async () => {
    const out = await cmd(`execute ${EP} /3/0/0`);
    assert.equal(out.length, 1);
    assert.match(out[0], /^4\.05 Method Not Allowed/);
    assert.deepEqual(await cmd(`execute ${EP} /3/0`), ['execute names a resource, e.g. /1/0/8']);
  });

  it('runs the attributes example of help as written', async () => {
    const example = (await cmd('help')).map((l) => /e\.g\. (attributes .*)$/.exec(l)?.[1]).find(Boolean);
    assert.ok(example, 'help shows an attributes example');
    assert.deepEqual(await cmd(example.replace('<ep>', EP)), ['2.04 Changed']);
    assert.match((await cmd(`discover ${EP} /3/0/13`)).join('\n'), /<\/3\/0\/13>;pmin=1;pmax=60/);
  });

  it('prints notifications of an observation and cancels it once', async () => {
    const first = await cmd(`observe ${EP} /3/0/14`);
    assert.equal(first[0], '2.05 Content (tlv)');
    assert.deepEqual(await cmd(`write ${EP} /3/0/14 +02:00`), ['2.04 Changed']);
    await until(() => lines.some((l) => l === `notify /3/0/14 from ${EP}: 2.05 Content (tlv)`));
    assert.ok(lines.some((l) => /^\/3\/0\/14 UTC Offset = "\+02:00"$/.test(l)));
    assert.deepEqual(await cmd(`cancel ${EP} 3/0/14`), ['cancelled']);
    assert.deepEqual(await cmd(`cancel ${EP} /3/0/14`), [`no observation of ${EP} /3/0/14`]);
  });

  it('takes a quoted value without its quotes, and "" as an empty string', async () => {
    assert.deepEqual(await cmd(`write ${EP} /3/0/14 "+03:00"`), ['2.04 Changed']);
    assert.match((await cmd(`read ${EP} /3/0/14`))[1], /^\/3\/0\/14 UTC Offset = "\+03:00"$/);
    assert.deepEqual(await cmd(`write ${EP} /3/0/15 'Europe/Berlin'`), ['2.04 Changed']);
    assert.match((await cmd(`read ${EP} /3/0/15`))[1], /= "Europe\/Berlin"$/);
    assert.deepEqual(await cmd(`write ${EP} /3/0/15 ""`), ['2.04 Changed']);
    assert.match((await cmd(`read ${EP} /3/0/15`))[1], /^\/3\/0\/15 Timezone = ""$/);
    assert.deepEqual(await cmd(`write ${EP} /3/0/15 "Europe/Paris`), [
      'unterminated " quote: put a value with spaces in "…", an empty one as ""',
    ]);
    assert.match((await cmd(`read ${EP} /3/0/15`))[1], /= ""$/, 'nothing was sent');
    assert.deepEqual(await cmd(`write ${EP} /3/0 15="Europe/Rome" 14=+01:00`), ['2.04 Changed']);
    assert.match((await cmd(`read ${EP} /3/0/15`))[1], /= "Europe\/Rome"$/);
  });

  it('names an enumerated value beside its number', async () => {
    const out = await cmd(`read ${EP} /3/0/6`);
    assert.ok(
      out.some((l) => /^\/3\/0\/6\/0 Available Power Sources\s+= USB \(5\)$/.test(l)),
      out.join('\n'),
    );
  });

  it('refuses a bad path with the shape it wants', async () => {
    assert.deepEqual(await cmd(`read ${EP} /3/x`), [
      'bad path "/3/x": want /object/instance/resource[/instance], ids 0..65534, e.g. /3/0/0',
    ]);
  });

  it('quit ends the prompt', async () => {
    prompt.input.write('quit\n');
    await until(() => prompt.quits === 1);
  });
});

describe('server prompt and a client with Firmware Update', () => {
  let server: LwM2MServer;
  let device: NodeDevice;
  let dir: string;
  const prompt = new PromptDriver();
  const cmd = (line: string) => prompt.cmd(line);
  const FW = 'prompt-fw';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-prompt-fw-'));
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    let registered!: () => void;
    const done = new Promise<void>((r) => {
      registered = r;
    });
    device = await startNodeDevice({
      endpointName: FW,
      serverUri: `coap://127.0.0.1:${udp.port}`,
      log: silentLogger,
      firmware: { dir },
      onEvent: (e) => {
        if (e.type === 'registered') registered();
      },
    });
    await done;
    prompt.start(server);
    await prompt.until(() => prompt.prompts === 1);
  });

  after(async () => {
    await device?.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes an empty Package URI (the cancel of Firmware Update) and names State and Update Result', async () => {
    assert.deepEqual(await cmd(`write ${FW} /5/0/1 ""`), ['2.04 Changed']);
    assert.match((await cmd(`read ${FW} /5/0/1`))[1], /^\/5\/0\/1 Package URI = ""$/);
    assert.match((await cmd(`read ${FW} /5/0/3`))[1], /^\/5\/0\/3 State = Idle \(0\)$/);
    assert.match((await cmd(`read ${FW} /5/0/5`))[1], /^\/5\/0\/5 Update Result = Initial value \(0\)$/);
  });
});

describe('server prompt and a device that stopped answering', () => {
  let server: LwM2MServer;
  let devices: SilentDevices;
  const prompt = new PromptDriver();
  const cmd = (line: string) => prompt.cmd(line);

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    // A short bound, so the test needs no 5 s wait; what is shown is the same.
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger, requestTimeoutMs: 400 });
    devices = await SilentDevices.open(udp.port);
    await devices.register('dead-1');
    prompt.start(server, { pendingNoticeMs: 50 });
    await prompt.until(() => prompt.prompts === 1);
  });

  after(() => {
    devices?.close();
    server?.close();
  });

  it('says it is waiting, then names the device and the operation that got no answer within the bound', async () => {
    const out = await cmd('read dead-1 /3/0/0');
    assert.deepEqual(out, [
      'waiting for dead-1 to answer read dead-1 /3/0/0 (up to 0.4 s) …',
      'error: no answer from dead-1 to Read /3/0/0 within 0.4 s',
    ]);
  });

  it('the same for a Write and an Observe; the prompt goes on', async () => {
    assert.equal((await cmd('write dead-1 /3/0/14 +01:00')).at(-1), 'error: no answer from dead-1 to Write /3/0/14 within 0.4 s');
    assert.equal((await cmd('observe dead-1 /3/0/13')).at(-1), 'error: no answer from dead-1 to Observe /3/0/13 within 0.4 s');
    assert.deepEqual(
      await cmd('observe dead-1 /3/0/13').then((l) => l.at(-1)),
      'error: no answer from dead-1 to Observe /3/0/13 within 0.4 s',
      'no observation was left behind',
    );
    assert.match((await cmd('list'))[0], /^dead-1 /);
  });
});

describe('server prompt and a device that registers again', () => {
  let server: LwM2MServer;
  let uri: string;
  const prompt = new PromptDriver();
  const cmd = (line: string) => prompt.cmd(line);
  const clients: LwM2MClient[] = [];
  const registeredAnew = (ep: string) =>
    new Promise<void>((resolve) => {
      const l = (e: ServerEvent) => {
        if (e.type === 'registered' && e.reg.endpoint === ep) {
          server.listeners.delete(l);
          setTimeout(resolve, 50);
        }
      };
      server.listeners.add(l);
    });

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger, requestTimeoutMs: 5000 });
    uri = `coap://127.0.0.1:${udp.port}`;
    const first = registeredAnew('again-2');
    clients.push(await startNodeClient({ endpointName: 'again-2', serverUri: uri, log: silentLogger }));
    await first;
    prompt.start(server);
    await prompt.until(() => prompt.prompts === 1);
  });

  after(async () => {
    for (const c of clients) {
      c.halt();
      await c.stop();
    }
    server.close();
  });

  it('says its observations ended, and the same path can be observed again', async () => {
    assert.equal((await cmd('observe again-2 /3/0/14'))[0], '2.05 Content (tlv)');
    const back = registeredAnew('again-2');
    clients[0].halt(); // a reset: no De-register
    clients.push(await startNodeClient({ endpointName: 'again-2', serverUri: uri, log: silentLogger }));
    await back;
    await prompt.until(() => prompt.lines.includes('again-2 registered again: its observations ended (/3/0/14)'));
    assert.equal((await cmd('observe again-2 /3/0/14'))[0], '2.05 Content (tlv)');
    assert.deepEqual(await cmd('cancel again-2 /3/0/14'), ['cancelled']);
  });
});

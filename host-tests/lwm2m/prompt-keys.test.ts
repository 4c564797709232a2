// The server prompt at a terminal: Ctrl-C drops a half-typed line, Ctrl-C on an
// empty line and Ctrl-D quit (readline without a SIGINT listener paused its
// input instead, and the prompt froze); input that is not a terminal ending
// leaves the server running. Keys are fed as a terminal sends them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer } from '../../host/lwm2m-server';
import { PromptDriver } from '../support/prompt-driver';

const CTRL_C = '\x03';
const CTRL_D = '\x04';

describe('server prompt keys', () => {
  let server: LwM2MServer;

  beforeEach(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  });
  afterEach(() => server.close());

  it('Ctrl-C drops a half-typed line and the prompt comes back; the next Enter runs nothing', async () => {
    const prompt = new PromptDriver();
    const shell = prompt.start(server, { terminal: true });
    await prompt.until(() => prompt.prompts === 1);
    prompt.input.write('read nobody /3/0');
    prompt.input.write(CTRL_C);
    await prompt.until(() => prompt.prompts >= 2);
    assert.equal(prompt.quits, 0);
    const out = await prompt.cmd('list');
    assert.deepEqual(out, ['no client is registered'], 'the dropped line did not run');
    shell.close();
  });

  it('Ctrl-C on an empty line quits, once', async () => {
    const prompt = new PromptDriver();
    prompt.start(server, { terminal: true });
    await prompt.until(() => prompt.prompts === 1);
    prompt.input.write(CTRL_C);
    await prompt.until(() => prompt.quits === 1);
    prompt.input.write(CTRL_C);
    await new Promise((r) => setImmediate(r));
    assert.equal(prompt.quits, 1);
  });

  it('Ctrl-D on an empty line quits', async () => {
    const prompt = new PromptDriver();
    prompt.start(server, { terminal: true });
    await prompt.until(() => prompt.prompts === 1);
    prompt.input.write(CTRL_D);
    await prompt.until(() => prompt.quits === 1);
  });

  it('quit quits once', async () => {
    const prompt = new PromptDriver();
    prompt.start(server, { terminal: true });
    await prompt.until(() => prompt.prompts === 1);
    prompt.input.write('quit\r');
    await prompt.until(() => prompt.quits === 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(prompt.quits, 1);
  });

  it('input that is not a terminal ending leaves the server running, and says so', async () => {
    const prompt = new PromptDriver();
    prompt.start(server, { terminal: false });
    await prompt.until(() => prompt.prompts === 1);
    prompt.input.end();
    await prompt.until(() => prompt.lines.some((l) => /input closed: the prompt ends; the server runs on/.test(l)));
    assert.equal(prompt.quits, 0);
  });
});

describe('xs-lwm2m server: how it ends', function () {
  this.timeout(30_000);
  const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));

  it('a script piped into the prompt runs, and its quit closes the server with exit 0', async () => {
    const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--coaps-port', '0', '--address', '127.0.0.1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stdin.end('list\nquit\n');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(code, 0, out);
    assert.match(out, /no client is registered/);
  });
});

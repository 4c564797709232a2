// A client's --state directory: one client at a time (a second one is refused
// before it opens a socket, so it cannot de-register the first one's endpoint
// on its way out), a lock left by a client that died is taken over, and a
// command line that names another endpoint or server than the one the
// directory was set up for is refused instead of silently running on it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger, type Logger } from '../../firmware/platform/ports';
import { LwM2MServer } from '../../host/lwm2m-server';
import { startNodeDevice, type NodeDevice } from '../../host/runtime';
import { StateConflictError, StateInUseError } from '../../host/state-dir';
import { ManagedProcess } from '../support/managed-process';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));

describe('client --state directory', function () {
  this.timeout(60_000);
  let server: LwM2MServer;
  let uri: string;
  let dir: string;
  const started: NodeDevice[] = [];

  const registered = (ep: string) =>
    new Promise<void>((resolve) => {
      if (server.clients.has(ep)) {
        resolve();
        return;
      }
      const l = (e: { type: string; reg: { endpoint: string } }) => {
        if (e.type === 'registered' && e.reg.endpoint === ep) {
          server.listeners.delete(l);
          resolve();
        }
      };
      server.listeners.add(l);
    });
  const start = async (endpointName: string, extra: { resetState?: boolean; log?: Logger } = {}) => {
    const d = await startNodeDevice({ endpointName, serverUri: uri, stateDir: dir, log: extra.log ?? silentLogger, ...extra });
    started.push(d);
    return d;
  };

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    uri = `coap://127.0.0.1:${udp.port}`;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-state-'));
  });
  afterEach(async () => {
    for (const d of started.splice(0)) await d.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  after(() => server.close());

  it('a second client on the same directory is refused while the first runs, and after it stopped it may start', async () => {
    const first = await start('state-1');
    await registered('state-1');
    await assert.rejects(start('state-1'), (e: unknown) => e instanceof StateInUseError && e.pid === process.pid);
    assert.ok(server.clients.has('state-1'), 'the first one is still registered');
    await first.stop();
    started.splice(0);
    const again = await start('state-1');
    assert.ok(again.client);
  });

  it("xs-lwm2m client on a directory in use: exit 1 naming the owner's pid, and the first client keeps its registration", async () => {
    const first = new ManagedProcess('first', process.execPath, [
      bin,
      'client',
      '--server',
      uri,
      '--endpoint',
      'state-cli',
      '--state',
      dir,
    ]);
    try {
      await registered('state-cli');
      const r = spawnSync(process.execPath, [bin, 'client', '--server', uri, '--endpoint', 'state-cli', '--state', dir], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(
        r.stderr,
        `xs-lwm2m: --state ${dir} is in use by another xs-lwm2m client (pid ${first.pid}); stop it, or give this one another --state directory\n`,
      );
      assert.ok(server.clients.has('state-cli'), 'not de-registered by the refused one');
    } finally {
      await first.stop(10_000, 'SIGINT');
    }
    assert.equal(existsSync(join(dir, 'lock')), false, 'the lock goes with its client');
  });

  it('a lock left by a client that died is taken over', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(join(dir, 'lock'), `${dead.pid}\n`);
    const d = await start('state-2');
    assert.ok(d.client);
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`);
  });

  it('another --endpoint or --server than the directory was set up for is refused; --reset-state starts afresh', async () => {
    const first = await start('state-3');
    await registered('state-3');
    await first.stop();
    started.splice(0);
    await assert.rejects(
      start('state-4'),
      (e: unknown) =>
        e instanceof StateConflictError &&
        /holds the configuration of --endpoint state-3 --server coap:\/\/127\.0\.0\.1:\d+, not of --endpoint state-4/.test(
          (e as Error).message,
        ),
    );
    assert.equal(existsSync(join(dir, 'lock')), false, 'a refused start leaves no lock');
    const lines: string[] = [];
    const log: Logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: (m) => lines.push(m), debug: () => {} };
    await start('state-4', { resetState: true, log });
    assert.ok(
      lines.some((l) => /client: state-4 starting from factory configuration/.test(l)),
      lines.join('\n'),
    );
    await registered('state-4');
  });

  it('xs-lwm2m client with a command line the directory was not set up for: exit 2 naming both and --reset-state', async () => {
    writeFileSync(join(dir, 'lwm2m-store.bin'), new Uint8Array(16384).fill(0xff));
    writeFileSync(join(dir, 'command-line.json'), JSON.stringify({ endpoint: 'old-1', bootstrap: 'coap://192.0.2.1:5685' }));
    const r = spawnSync(process.execPath, [bin, 'client', '--bootstrap', 'coap://192.0.2.9:5685', '--endpoint', 'new-1', '--state', dir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^xs-lwm2m: --state ${dir} holds the configuration of --endpoint old-1 --bootstrap coap://192\\.0\\.2\\.1:5685, not of --endpoint new-1 --bootstrap coap://192\\.0\\.2\\.9:5685: give this command line another --state directory, or add --reset-state`,
      ),
    );
  });
});

// `xs-lwm2m` command line: client, bootstrap-server, server, demo.
import { readFileSync } from 'node:fs';
import { consoleLogger, nodeRandom, nodeTimers, openUdp } from '../firmware/platform/node';
import type { LogLevel } from '../firmware/platform/ports';
import { BootstrapServer, validateConfig, type BootstrapConfig } from './bootstrap-server';
import { runDemo } from './demo';
import { LwM2MServer, formatRecords } from './lwm2m-server';
import { installTlv, startNodeClient } from './runtime';
import { startShell } from './shell';

const USAGE = `usage: xs-lwm2m <command> [options]

  demo [--once] [--verbose]
      Bootstrap-Server, LwM2M Server and a client on loopback; prints each step.
  client --bootstrap <coap://host:port> --endpoint <name> [--state <dir>] [--port <n>] [--log <level>]
  client --server <coap://host:port> --endpoint <name> [--state <dir>]
      Run the LwM2M client (from stored state in <dir> if present).
  bootstrap-server --config <file.json> [--port <n>] [--address <ip>] [--log <level>]
                   [--provision <endpoint>@<ip>:<port>]
      Provision devices over the LAN (default port 5685); --provision also starts a
      server-initiated bootstrap toward a device that already holds this Bootstrap-Server's account.
  server [--port <n>] [--address <ip>] [--log <level>]
      A small LwM2M Server (default port 5683) with an interactive prompt:
      read, write, execute, create, delete, discover, attributes, observe, cancel, list.
`;

type Args = Map<string, string | true>;

function parseArgs(argv: string[]): { cmd: string | undefined; args: Args } {
  const args: Args = new Map();
  const [cmd, ...rest] = argv;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) fail(`unexpected argument "${a}"`);
    const key = a.slice(2);
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) { args.set(key, next); i++; } else args.set(key, true);
  }
  return { cmd, args };
}

function fail(msg: string): never {
  process.stderr.write(`xs-lwm2m: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function str(args: Args, key: string): string | undefined {
  const v = args.get(key);
  if (v === true) fail(`--${key} needs a value`);
  return v;
}

function port(args: Args, dflt: number): number {
  const v = str(args, 'port');
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--port must be 0..65535, not "${v}"`);
  return n;
}

function level(args: Args): LogLevel {
  const v = str(args, 'log') ?? 'info';
  if (!['error', 'warn', 'info', 'debug'].includes(v)) fail(`--log must be error, warn, info or debug`);
  return v as LogLevel;
}

function onSignal(fn: () => Promise<void>): void {
  let stopping = false;
  const h = () => { if (stopping) process.exit(130); stopping = true; void fn().then(() => process.exit(0)); };
  process.on('SIGINT', h);
  process.on('SIGTERM', h);
}

async function main(): Promise<void> {
  const { cmd, args } = parseArgs(process.argv.slice(2));
  switch (cmd) {
    case 'demo': {
      const demo = await runDemo({ once: args.has('once'), verbose: args.has('verbose') });
      const timer = setTimeout(() => { process.stderr.write('xs-lwm2m demo: no registration within 30 s\n'); void demo.stop().then(() => process.exit(1)); }, 30_000);
      const ok = await demo.done;
      clearTimeout(timer);
      if (args.has('once')) { await demo.stop(); process.exit(ok ? 0 : 1); }
      process.stdout.write('running; Ctrl-C de-registers and exits\n');
      onSignal(demo.stop);
      return;
    }
    case 'client': {
      const endpointName = str(args, 'endpoint') ?? fail('client needs --endpoint <name>');
      const bootstrapUri = str(args, 'bootstrap');
      const serverUri = str(args, 'server');
      if (!bootstrapUri && !serverUri) fail('client needs --bootstrap <uri> or --server <uri>');
      for (const u of [bootstrapUri, serverUri]) if (u && !/^coap:\/\/(\[[0-9a-fA-F:.]+\]|[^/:]+)(:\d+)?\/?$/.test(u)) fail(`"${u}" is not a coap:// URI (coaps needs DTLS, not in this build)`);
      const client = await startNodeClient({ endpointName, bootstrapUri, serverUri, stateDir: str(args, 'state'), port: port(args, 0), logLevel: level(args) });
      onSignal(() => client.stop());
      return;
    }
    case 'bootstrap-server': {
      const file = str(args, 'config') ?? fail('bootstrap-server needs --config <file.json>');
      let config: BootstrapConfig;
      try { config = JSON.parse(readFileSync(file, 'utf8')) as BootstrapConfig; validateConfig(config); }
      catch (e) { fail(`cannot use ${file}: ${(e as Error).message}`); }
      const log = consoleLogger(level(args), 'bootstrap-server');
      installTlv(log);
      const transport = await openUdp({ port: port(args, 5685), address: str(args, 'address') ?? '0.0.0.0', log });
      const bs = new BootstrapServer({
        transport, timers: nodeTimers, random: nodeRandom, log, config,
        onEvent: (e) => {
          if (e.type === 'step') log.info(`${e.endpoint}: ${e.operation} ${e.path} → ${e.code}`);
          if (e.type === 'finished') log.info(`${e.endpoint}: ${e.ok ? 'bootstrap finished' : 'bootstrap FAILED: ' + e.diagnostic}`);
        },
      });
      log.info(`listening on ${transport.address}:${transport.port} for ${Object.keys(config.endpoints).join(', ')}`);
      const target = str(args, 'provision');
      if (target) {
        const m = /^(.+)@(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$/.exec(target);
        if (!m) fail(`--provision wants <endpoint>@<ip>:<port>, not "${target}"`);
        void bs.provision({ address: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) }, m[1]).then((ok) => log.info(`server-initiated bootstrap of ${m[1]}: ${ok ? 'done' : 'failed'}`));
      }
      onSignal(async () => bs.close());
      return;
    }
    case 'server': {
      const log = consoleLogger(level(args), 'server');
      installTlv(log);
      const transport = await openUdp({ port: port(args, 5683), address: str(args, 'address') ?? '0.0.0.0', log });
      const server = new LwM2MServer({ transport, timers: nodeTimers, random: nodeRandom, log });
      log.info(`listening on ${transport.address}:${transport.port}`);
      startShell(server, (s) => process.stdout.write(s + '\n'), formatRecords);
      onSignal(async () => server.close());
      return;
    }
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command "${cmd}"`);
  }
}

main().catch((e) => { process.stderr.write(`xs-lwm2m: ${(e as Error).message}\n`); process.exit(1); });

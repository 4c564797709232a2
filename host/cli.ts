// `xs-lwm2m` command line: client, bootstrap-server, server, demo.
// Exit codes: 0 done, 1 could not run (a port in use, a failed demo), 2 a usage error.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileRegistrationStore } from './registration-store';
import { makeHostImage } from '../firmware/lwm2m/firmware-update/image';
import { consoleLogger, logTime, nodeRandom, nodeTimers, openUdp } from '../firmware/platform/node';
import { coapTracer } from './coap-trace';
import type { LogLevel, Logger } from '../firmware/platform/ports';
import { BootstrapServer, type BootstrapConfig } from './bootstrap-server';
import { configProblems, parseJsonText } from './bootstrap-config';
import { loadModels, useModels } from './models';
import { COMMANDS, USAGE, UsageError, commandUsage, parseCommandLine, type Options } from './cli-args';
import { DEFAULT_ADDRESS, startConsole, type ConsoleOptions, type WebConsole } from './console/console-server';
import { runDemo } from './demo';
import { LwM2MServer } from './lwm2m-server';
import { DEREGISTER_TIMEOUT_MS, startNodeDevice } from './runtime';
import { nodeCrypto } from '../firmware/platform/node/crypto';
import { fromHex, toHex } from '../firmware/util/hex';
import { PskStore, type PskJson } from './psk-store';
import { PSK_KEY_ENV, parsePskHex } from './psk-key';
import { startShell } from './shell';
import { StateConflictError, StateInUseError, lockState } from './state-dir';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A usage error: the message, then the usage of the command it concerns, exit 2. */
function usageError(e: UsageError): never {
  process.stderr.write(`xs-lwm2m: ${e.message}\n\n${e.command ? commandUsage(e.command) : USAGE}`);
  process.exit(2);
}

/** Input that cannot be used (a file, a state directory), not the shape of the command line: the reason without the usage, exit 2. */
function badInput(msg: string): never {
  process.stderr.write(`xs-lwm2m: ${msg}\n`);
  process.exit(2);
}

/** Something that stops the command from running (not a usage mistake): one line, exit 1. */
function cannotRun(msg: string): never {
  process.stderr.write(`xs-lwm2m: ${msg}\n`);
  process.exit(1);
}

class Args {
  constructor(
    readonly command: string,
    private readonly o: Options,
  ) {}
  has(key: string): boolean {
    return this.o.has(key);
  }
  str(key: string): string | undefined {
    const v = this.o.get(key);
    return v === true ? undefined : v;
  }
  need(key: string, why: string): string {
    return this.str(key) ?? this.fail(why);
  }
  port(key: string, dflt: number): number {
    const v = this.str(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 65535) this.fail(`--${key} must be 0..65535, not "${v}"`);
    return n;
  }
  /** --timeout <seconds> as ms (default 5 s): the wait for a device's answer to a prompt or console operation. */
  timeoutMs(): number {
    const v = this.str('timeout');
    if (v === undefined) return DEFAULT_REQUEST_TIMEOUT_MS;
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || n < 0.1 || n > 600) this.fail(`--timeout is in seconds, 0.1 to 600, not "${v}"`);
    return Math.round(n * 1000);
  }
  level(): LogLevel {
    const v = this.str('log') ?? 'info';
    if (!['error', 'warn', 'info', 'debug'].includes(v)) this.fail('--log must be error, warn, info or debug');
    return v as LogLevel;
  }
  fail(msg: string): never {
    usageError(new UsageError(msg, this.command));
  }
}

/** Binds, or explains a port that is taken: by whom it likely is and which option picks another. */
async function bind<T>(
  what: Promise<T>,
  desc: { proto: 'UDP' | 'TCP'; port: number; address: string; owner: string; option: string },
): Promise<T> {
  try {
    return await what;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      cannotRun(
        `${desc.proto} port ${desc.port} on ${desc.address} is already in use, most likely by ${desc.owner}; stop it, or pick another port with ${desc.option} <n>`,
      );
    if (code === 'EACCES')
      cannotRun(`no permission to use ${desc.proto} port ${desc.port} on ${desc.address}; pick a port above 1023 with ${desc.option} <n>`);
    if (code === 'EADDRNOTAVAIL')
      cannotRun(`${desc.address} is not an address of this machine (${desc.option === '--port' ? '--address' : '--http-address'})`);
    throw e;
  }
}

/** How long the prompt and the console wait for a device, by default (Leshan's UI waits as long). */
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** Default console ports: the LwM2M Server's (and the demo's), the Bootstrap-Server's. */
const SERVER_CONSOLE_PORT = 8080;
const BOOTSTRAP_CONSOLE_PORT = 8081;

/** Where the web console is to listen: read (and checked) before anything is bound. */
interface ConsoleChoice {
  port: number;
  address: string;
  asked: boolean;
  always: boolean;
}

/** The console --http / --http-address ask for (or `always`, for the demo); undefined when none. */
function consoleChoice(a: Args, dfltPort: number, always = false): ConsoleChoice | undefined {
  if (!always && !a.has('http') && !a.has('http-address')) return undefined;
  return { port: a.port('http', dfltPort), address: a.str('http-address') ?? DEFAULT_ADDRESS, asked: a.str('http') !== undefined, always };
}

/** Starts the web console chosen by consoleChoice. */
async function webConsole(c: ConsoleChoice | undefined, parts: Omit<ConsoleOptions, 'port' | 'address'>): Promise<WebConsole | undefined> {
  if (!c) return undefined;
  const { port, address } = c;
  const owner = 'another xs-lwm2m console (server, bootstrap-server or demo)';
  // The demo's default port is only a preference: a second demo takes a free one.
  const open = startConsole({ ...parts, port, address }).catch((e: NodeJS.ErrnoException) => {
    if (c.always && !c.asked && e.code === 'EADDRINUSE') return startConsole({ ...parts, port: 0, address });
    throw e;
  });
  return bind(open, { proto: 'TCP', port, address, owner, option: '--http' });
}

function onSignal(fn: () => Promise<void>): void {
  let stopping = false;
  const h = () => {
    if (stopping) process.exit(130);
    stopping = true;
    void fn().then(() => process.exit(0));
  };
  process.on('SIGINT', h);
  process.on('SIGTERM', h);
}

async function demo(a: Args): Promise<void> {
  const once = a.has('once');
  const how = a.has('update') ? (a.str('update') ?? 'push') : undefined;
  if (how !== undefined && how !== 'push' && how !== 'pull') a.fail(`--update takes push or pull, not "${how}"`);
  // --once is for CI: no console unless asked for.
  const http = consoleChoice(a, SERVER_CONSOLE_PORT, !once);
  const demo = await runDemo({ once, coaps: a.has('coaps'), verbose: a.has('verbose'), update: how, requestTimeoutMs: a.timeoutMs() });
  const web = await webConsole(http, { server: demo.server, bootstrap: demo.bootstrap });
  if (web) {
    process.stdout.write(`web console: ${web.url}\n`);
    const stop = demo.stop;
    demo.stop = async () => {
      await web.close();
      await stop();
    };
  }
  const timer = setTimeout(() => {
    process.stderr.write(`xs-lwm2m demo: ${how ? 'not updated' : 'no registration'} within 30 s\n`);
    void demo.stop().then(() => process.exit(1));
  }, 30_000);
  const ok = await demo.done;
  clearTimeout(timer);
  if (once) {
    await demo.stop();
    process.exit(ok ? 0 : 1);
  }
  process.stdout.write('running; Ctrl-C de-registers and exits\n');
  onSignal(demo.stop);
}

async function client(a: Args): Promise<void> {
  const endpointName = a.need('endpoint', 'client needs --endpoint <name>');
  const bootstrapUri = a.str('bootstrap');
  const serverUri = a.str('server');
  if (!bootstrapUri && !serverUri) a.fail('client needs --bootstrap <uri> or --server <uri>');
  for (const u of [bootstrapUri, serverUri])
    if (u && !/^coaps?:\/\/(\[[0-9a-fA-F:.]+\]|[^/:]+)(:\d+)?\/?$/.test(u)) a.fail(`"${u}" is not a coap:// or coaps:// URI`);
  const psk = clientPsk(
    a,
    [bootstrapUri, serverUri].some((u) => u?.startsWith('coaps:')),
  );
  const port = a.port('port', 0);
  const fwDir = a.str('firmware');
  const stateDir = a.str('state');
  if (a.has('reset-state') && stateDir === undefined) a.fail('--reset-state goes with --state <dir>');
  const started = startNodeDevice({
    endpointName,
    bootstrapUri,
    serverUri,
    psk,
    stateDir,
    resetState: a.has('reset-state'),
    port,
    logLevel: a.level(),
    ...(fwDir !== undefined ? { firmware: { dir: fwDir } } : {}),
    // Queue Mode: the Node client "sleeps" in its process (nothing received is delivered) between what it sends.
    ...(a.has('queue-mode') ? { extra: { queueMode: {} } } : {}),
  }).catch((e: unknown) => {
    if (e instanceof StateInUseError)
      cannotRun(
        `--state ${e.dir} is in use by another xs-lwm2m client (pid ${e.pid}); stop it, or give this one another --state directory`,
      );
    if (e instanceof StateConflictError)
      badInput(
        `--state ${e.message}: give this command line another --state directory, or add --reset-state to drop what ${e.dir} holds and start from this one`,
      );
    throw e;
  });
  const device = await bind(started, { proto: 'UDP', port, address: '0.0.0.0', owner: 'another xs-lwm2m client', option: '--port' });
  onSignal(async () => {
    const n = device.client.registeredServers.length;
    process.stdout.write(
      n
        ? `stopping: de-registering from ${n} server${n > 1 ? 's' : ''} (waiting ${DEREGISTER_TIMEOUT_MS / 1000} s at most; Ctrl-C again exits at once)\n`
        : 'stopping\n',
    );
    await device.stop();
    process.stdout.write('stopped\n');
  });
}

const KEY_SOURCES = `--psk-key-file <file> or ${PSK_KEY_ENV}`;

/**
 * --psk-identity and the key (hex, in the file --psk-key-file names or in XS_LWM2M_PSK_KEY_HEX): both for a
 * coaps:// URI, neither without one; at least 16 bytes; the key never echoed, and never taken from the command line.
 */
function clientPsk(a: Args, coaps: boolean): { identity: string; key: Uint8Array } | undefined {
  if (a.has('psk-key'))
    a.fail(`--psk-key would put the key in the process list, where anyone on this machine can read it: give it with ${KEY_SOURCES}`);
  const identity = a.str('psk-identity'),
    file = a.str('psk-key-file'),
    env = process.env[PSK_KEY_ENV];
  if (!coaps) {
    if (identity !== undefined || file !== undefined) a.fail('--psk-identity and --psk-key-file are for a coaps:// URI');
    return undefined;
  }
  if (identity === undefined || (file === undefined && env === undefined))
    a.fail(`a coaps:// URI needs --psk-identity <text> and the key, with ${KEY_SOURCES}`);
  if (file !== undefined && env !== undefined) a.fail(`the key is given twice: --psk-key-file and ${PSK_KEY_ENV}; give one`);
  let text: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      a.fail(`cannot read --psk-key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  } else text = env!;
  try {
    return { identity, key: parsePskHex(text, file !== undefined ? `--psk-key-file ${file}` : PSK_KEY_ENV) };
  } catch (e) {
    a.fail((e as Error).message);
  }
}

/** The server's PSK file: { "<endpoint>": { "identity": …, "keyHex": … } }; the console's changes are written back to it. */
function pskFile(a: Args): PskStore {
  const store = new PskStore();
  const file = a.str('psk-file');
  if (file === undefined) return store;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PskJson>;
    if (!j || typeof j !== 'object' || Array.isArray(j)) throw new Error('want an object of endpoint names');
    for (const [ep, cred] of Object.entries(j)) store.setJson(ep, cred);
  } catch (e) {
    a.fail(`cannot use ${file}: ${(e as Error).message}`);
  }
  store.onChange = () => writeWhole(file, JSON.stringify(store.toFileJson(), null, 2) + '\n', 0o600);
  return store;
}

/** Replaces a file whole (a temporary file renamed over it: a crash leaves the old or the new one). */
function writeWhole(file: string, text: string, mode?: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, mode !== undefined ? { mode } : undefined);
  renameSync(tmp, file);
}

/** The --config file, checked whole: every problem on its own line, no usage text (exit 2). */
function loadBootstrapConfig(file: string): BootstrapConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    badInput(`cannot use ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const parsed = parseJsonText(text);
  if (!parsed.ok) badInput(`cannot use ${file}: ${parsed.reason}`);
  const problems = configProblems(parsed.value);
  if (problems.length)
    badInput(`cannot use ${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`}`);
  return parsed.value as BootstrapConfig;
}

/** --models <dir>: a vendor's DDF files, known to every tool of this process; a file that is not a DDF is a usage error. */
function extraModels(a: Args): void {
  const dir = a.str('models');
  if (dir === undefined) return;
  let models;
  try {
    models = loadModels([dir]);
  } catch (e) {
    badInput(`cannot use --models ${dir}: ${(e as Error).message}`);
  }
  if (models.size === 0) badInput(`--models ${dir}: no DDF file (*.xml) there`);
  useModels(models);
}

async function bootstrapServer(a: Args): Promise<void> {
  extraModels(a);
  const file = a.need('config', 'bootstrap-server needs --config <file.json>');
  const config = loadBootstrapConfig(file);
  const target = a.str('provision');
  const m =
    target === undefined
      ? undefined
      : (/^(.+)@(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$/.exec(target) ?? a.fail(`--provision wants <endpoint>@<ip>:<port>, not "${target}"`));
  const log = consoleLogger(a.level(), 'bootstrap-server');
  const port = a.port('port', 5685),
    coapsPort = a.port('coaps-port', 5686),
    address = a.str('address') ?? '0.0.0.0';
  const http = consoleChoice(a, BOOTSTRAP_CONSOLE_PORT);
  const owner = 'another xs-lwm2m server or bootstrap-server';
  const transport = await bind(openUdp({ port, address, log }), { proto: 'UDP', port, address, owner, option: '--port' });
  const secure = await bind(openUdp({ port: coapsPort, address, log }), {
    proto: 'UDP',
    port: coapsPort,
    address,
    owner,
    option: '--coaps-port',
  });
  const bs = new BootstrapServer({
    transport,
    timers: nodeTimers,
    random: nodeRandom,
    log,
    config,
    coaps: { transport: secure, crypto: nodeCrypto, requireExtendedMasterSecret: a.has('require-ems') },
    ...(a.level() === 'debug' ? { trace: coapTracer(log) } : {}),
    // A change made in the console is written back to --config (keys included: it is the operator's own file).
    onConfigured: (c) => {
      writeWhole(file, JSON.stringify(c, null, 2) + '\n');
      log.info(`configuration changed; ${file} rewritten`);
    },
    onEvent: (e) => {
      if (e.type === 'step') log.info(`${e.endpoint}: ${e.operation} ${e.path} → ${e.code}`);
      if (e.type === 'finished') log.info(`${e.endpoint}: ${e.ok ? 'bootstrap finished' : 'bootstrap FAILED: ' + e.diagnostic}`);
    },
  });
  log.info(
    `listening on ${transport.address}:${transport.port} (coap) and ${secure.port} (coaps) for ${Object.keys(config.endpoints).join(', ')}`,
  );
  const web = await webConsole(http, { bootstrap: bs, log });
  if (web) log.info(`web console: ${web.url}`);
  if (m)
    void bs
      .provision({ address: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) }, m[1])
      .then((ok) => log.info(`server-initiated bootstrap of ${m[1]}: ${ok ? 'done' : 'failed'}`));
  onSignal(async () => {
    await web?.close();
    bs.close();
  });
}

/** consoleLogger's "12:03:04.567 [prefix] I message" lines, drawn above the prompt instead of into it. */
function promptLogger(level: LogLevel, prefix: string, say: (line: string) => void): Logger {
  const rank = ['error', 'warn', 'info', 'debug'].indexOf(level);
  const line = (r: number, tag: string) => (m: string) => {
    if (rank >= r) say(`${logTime()} [${prefix}] ${tag} ${m}`);
  };
  return { error: line(0, 'E'), warn: line(1, 'W'), info: line(2, 'I'), debug: line(3, 'D') };
}

async function server(a: Args): Promise<void> {
  extraModels(a);
  const level = a.level();
  const port = a.port('port', 5683),
    coapsPort = a.port('coaps-port', 5684),
    address = a.str('address') ?? '0.0.0.0';
  const psk = pskFile(a);
  const http = consoleChoice(a, SERVER_CONSOLE_PORT);
  const requestTimeoutMs = a.timeoutMs();
  const early = consoleLogger(level, 'server');
  // --state: one server per directory, its registrations kept there.
  const stateDir = a.str('state');
  let unlock = () => {};
  if (stateDir !== undefined) {
    try {
      mkdirSync(stateDir, { recursive: true });
      unlock = lockState(stateDir);
    } catch (e) {
      if (e instanceof StateInUseError)
        cannotRun(
          `--state ${e.dir} is in use by another xs-lwm2m process (pid ${e.pid}); stop it, or give this server another --state directory`,
        );
      cannotRun(`--state ${stateDir}: ${(e as Error).message}`);
    }
  }
  const owner = 'another xs-lwm2m server or bootstrap-server';
  const transport = await bind(openUdp({ port, address, log: early }), { proto: 'UDP', port, address, owner, option: '--port' });
  const secure = await bind(openUdp({ port: coapsPort, address, log: early }), {
    proto: 'UDP',
    port: coapsPort,
    address,
    owner,
    option: '--coaps-port',
  });
  let say = (line: string): void => {
    process.stdout.write(line + '\n');
  };
  const log = promptLogger(level, 'server', (line) => say(line));
  const server = new LwM2MServer({
    transport,
    timers: nodeTimers,
    random: nodeRandom,
    log,
    psk,
    coaps: { transport: secure, crypto: nodeCrypto, requireExtendedMasterSecret: a.has('require-ems') },
    requestTimeoutMs,
    ...(stateDir !== undefined ? { registrations: fileRegistrationStore(join(stateDir, 'registrations.json'), log) } : {}),
    ...(level === 'debug' ? { trace: coapTracer(log) } : {}),
  });
  log.info(
    `listening on ${transport.address}:${transport.port} (coap) and ${secure.port} (coaps${
      psk.size
        ? `, PSK for ${psk
            .list()
            .map((e) => e.endpoint)
            .join(', ')}`
        : ''
    })`,
  );
  const web = await webConsole(http, { server, log });
  if (web) log.info(`web console: ${web.url}`);
  const shell = startShell(server, (s) => process.stdout.write(s + '\n'));
  say = shell.say;
  onSignal(async () => {
    await web?.close();
    server.close();
    unlock();
  });
}

/** `image`: a host image from a body file, for the Firmware Update of a Node client. */
async function image(a: Args): Promise<void> {
  const version = a.need('version', 'image needs --version <v>');
  const input = a.need('in', 'image needs --in <body file>');
  const output = a.need('out', 'image needs --out <file>');
  const name = a.str('name') ?? (a.has('name') ? a.fail('--name needs a value') : 'xs-lwm2m');
  for (const [opt, v] of [
    ['name', name],
    ['version', version],
  ] as const) {
    if (!/^[\x20-\x7e]{1,32}$/.test(v)) a.fail(`--${opt} must be 1 to 32 printable ASCII characters, not ${JSON.stringify(v)}`);
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(readFileSync(input));
  } catch (e) {
    cannotRun(`cannot read ${input}: ${(e as Error).message}`);
  }
  const img = makeHostImage(name, version, body, (d) => nodeCrypto.sha256(d));
  try {
    writeFileSync(output, img);
  } catch (e) {
    cannotRun(`cannot write ${output}: ${(e as Error).message}`);
  }
  process.stdout.write(
    `${output}: host image ${JSON.stringify(name)} version ${JSON.stringify(version)}, ${img.length} bytes (body ${body.length}), SHA-256 ${toHex(nodeCrypto.sha256(img))}\n`,
  );
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) usageError(e);
    throw e;
  }
  switch (parsed.kind) {
    case 'usage':
      process.stdout.write(USAGE);
      return;
    case 'version':
      process.stdout.write(`xs-lwm2m ${VERSION}\n`);
      return;
    case 'help':
      process.stdout.write(commandUsage(parsed.command));
      return;
  }
  const a = new Args(parsed.command, parsed.options);
  const run: Record<keyof typeof COMMANDS, (a: Args) => Promise<void>> = {
    demo,
    client,
    'bootstrap-server': bootstrapServer,
    server,
    image,
  };
  await run[parsed.command](a);
}

main().catch((e) => {
  process.stderr.write(`xs-lwm2m: ${(e as Error).message}\n`);
  process.exit(1);
});

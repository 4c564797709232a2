// The command line's grammar: which options each command takes, its usage
// text, and one clear message for anything else. No I/O here; cli.ts decides
// what to print and the exit code.

/** switch: --once; value: --port 5683 (or --port=5683); optional: --http or --http 8080. */
export type OptionKind = 'switch' | 'value' | 'optional';

export interface CommandSpec {
  usage: string;
  options: Readonly<Record<string, OptionKind>>;
}

const LOG = '[--log error|warn|info|debug]';
const HTTP = '[--http [port]] [--http-address <ip>]';
const TIMEOUT = '[--timeout <s>]';

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  demo: {
    usage: `demo [--once] [--coaps] [--update [push|pull]] [--verbose] ${HTTP} ${TIMEOUT}
      Bootstrap-Server, LwM2M Server and a client on loopback; prints each step.
      --coaps bootstraps and registers over DTLS 1.2 with pre-shared keys.
      --update then updates the client's firmware: the server pushes a new host image to
      /5/0/0 (or, with pull, serves it and writes its URI to /5/0/1) and executes Update; the
      client restarts into it and reports Update Result 1 with the new version in /3/0/3.
      --once exits 0 after the server has read /3/0; otherwise the web console runs
      (http://127.0.0.1:8080/, or a free port when 8080 is taken; --http 0 picks one).
      --timeout: how long the console waits for the device to answer an operation (default 5 s).`,
    options: {
      once: 'switch',
      coaps: 'switch',
      update: 'optional',
      verbose: 'switch',
      http: 'optional',
      'http-address': 'value',
      timeout: 'value',
    },
  },
  client: {
    usage: `client --bootstrap <coap[s]://host:port> --endpoint <name> [--psk-identity <id> --psk-key-file <file>]
                [--state <dir> [--reset-state]] [--firmware <dir>] [--queue-mode] [--port <n>] ${LOG}
  client --server <coap[s]://host:port> --endpoint <name> [--psk-identity <id> --psk-key-file <file>] [...]
      Run the LwM2M client (from stored state in <dir> if present; one client per <dir>, and a
      <dir> set up for another --endpoint, --bootstrap or --server is refused unless --reset-state
      drops what it holds). A coaps:// URI (default
      port 5684) needs the pre-shared key: its identity as text, the key (at least 16 bytes) in
      hex in the file --psk-key-file names, or in the environment as XS_LWM2M_PSK_KEY_HEX
      (never on the command line, which every user of the machine can read).
      --firmware <dir> gives it Firmware Update (/5): host images (xs-lwm2m image) go to two
      slots in <dir>; Update restarts the client on the new one, /3/0/3 its version.
      --queue-mode registers with Q and turns its radio off 93 s after its last message, until it has
      something to send (its Update, a notification due): the server queues what it has for it.`,
    options: {
      bootstrap: 'value',
      server: 'value',
      endpoint: 'value',
      'psk-identity': 'value',
      'psk-key-file': 'value',
      'psk-key': 'value',
      state: 'value',
      'reset-state': 'switch',
      firmware: 'value',
      'queue-mode': 'switch',
      port: 'value',
      log: 'value',
    },
  },
  'bootstrap-server': {
    usage: `bootstrap-server --config <file.json> [--port <n>] [--coaps-port <n>] [--address <ip>] ${LOG}
                   [--provision <endpoint>@<ip>:<port>] [--require-ems] [--models <dir>] ${HTTP}
      Provision devices over the LAN (default UDP ports 5685 coap, 5686 coaps: endpoints with a
      "psk" in the configuration bootstrap over coaps with it); --provision also starts a
      server-initiated bootstrap toward a device that already holds this Bootstrap-Server's account.
      --http serves the web console: bootstrap sessions and configuration (default port 8081).
      --require-ems refuses DTLS clients without the extended master secret (RFC 7627).
      --models <dir>: the OMA DDF files there (a vendor's objects) are known beside the built-in ones.`,
    options: {
      config: 'value',
      port: 'value',
      'coaps-port': 'value',
      address: 'value',
      log: 'value',
      provision: 'value',
      'require-ems': 'switch',
      http: 'optional',
      'http-address': 'value',
      models: 'value',
    },
  },
  server: {
    usage: `server [--port <n>] [--coaps-port <n>] [--psk-file <file.json>] [--require-ems] [--address <ip>] ${LOG} ${HTTP}
         ${TIMEOUT} [--state <dir>] [--models <dir>]
      A small LwM2M Server (default UDP ports 5683 coap, 5684 coaps) with an interactive prompt
      (help lists its commands); --http serves the web console as well (default port 8080).
      --psk-file: { "<endpoint>": { "identity": "<text>", "keyHex": "<hex>" }, ... }; an endpoint
      listed there must register over coaps with that identity. The prompt's "update" serves
      firmware files for pulls at coap[s]://<address>:<port>/fw/<file>: the address is --address,
      or else the local address of the route toward the device. Keys are at least 16 bytes.
      --require-ems refuses DTLS clients without the extended master secret (RFC 7627).
      --timeout: how long the prompt and the console wait for a device to answer an operation
      (default 5 s; a device that is offline or asleep is reported then).
      --state <dir> keeps the registrations (coap) in <dir>/registrations.json across restarts:
      a restarted server knows its devices at once, not at their next Update.
      --models <dir>: the OMA DDF files there (a vendor's objects, as Leshan's -m) give the prompt
      and the console their names, types and units, and type their values on the wire.`,
    options: {
      port: 'value',
      'coaps-port': 'value',
      'psk-file': 'value',
      'require-ems': 'switch',
      address: 'value',
      log: 'value',
      http: 'optional',
      'http-address': 'value',
      timeout: 'value',
      state: 'value',
      models: 'value',
    },
  },
  image: {
    usage: `image --version <v> --in <body> --out <file> [--name <name>]
      Build an xs-lwm2m host image (what the Node client's Firmware Update takes): the header
      ('XSFW', name, version), the body, and its SHA-256. --name defaults to xs-lwm2m; name and
      version are printable ASCII, at most 32 characters each.`,
    options: { name: 'value', version: 'value', in: 'value', out: 'value' },
  },
};

export const USAGE = `usage: xs-lwm2m <command> [options]     (xs-lwm2m <command> --help, xs-lwm2m --version)

${Object.values(COMMANDS)
  .map((c) => '  ' + c.usage)
  .join('\n')}

  The web console listens on 127.0.0.1 only, unless --http-address names another address
  (it can write to devices).
`;

export function commandUsage(cmd: string): string {
  return `usage: xs-lwm2m ${COMMANDS[cmd].usage}\n`;
}

/** A command line that cannot run: exit 2 with this message. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export type Options = Map<string, string | true>;

export type Parsed = { kind: 'usage' | 'version' } | { kind: 'help'; command: string } | { kind: 'run'; command: string; options: Options };

export function parseCommandLine(argv: readonly string[]): Parsed {
  const [cmd, ...rest] = argv;
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    if (rest[0] && COMMANDS[rest[0]]) return { kind: 'help', command: rest[0] };
    return { kind: 'usage' };
  }
  if (cmd === 'version' || cmd === '--version' || cmd === '-V') return { kind: 'version' };
  if (cmd === undefined) throw new UsageError('no command given');
  const spec = COMMANDS[cmd];
  if (!spec) throw new UsageError(cmd.startsWith('-') ? `unknown option ${cmd}: options follow a command` : `unknown command "${cmd}"`);
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', command: cmd };
  const options: Options = new Map();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`, cmd);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const kind = spec.options[name];
    if (!kind) {
      const owner = Object.keys(COMMANDS).filter((c) => COMMANDS[c].options[name]);
      throw new UsageError(
        owner.length ? `--${name} is an option of ${owner.join(' and ')}, not of ${cmd}` : `unknown option --${name} for ${cmd}`,
        cmd,
      );
    }
    if (options.has(name)) throw new UsageError(`--${name} given twice`, cmd);
    const next = rest[i + 1];
    if (eq >= 0) {
      if (kind === 'switch') throw new UsageError(`--${name} takes no value`, cmd);
      options.set(name, a.slice(eq + 1));
    } else if (kind !== 'switch' && next !== undefined && !next.startsWith('--')) {
      options.set(name, next);
      i++;
    } else if (kind === 'value') throw new UsageError(`--${name} needs a value`, cmd);
    else options.set(name, true);
  }
  return { kind: 'run', command: cmd, options };
}

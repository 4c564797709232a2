// The interactive prompt of `xs-lwm2m server`: drive a device from a laptop.
// Every mistake in a command line is answered with one line saying what was
// wrong; nothing is sent to the device until the line is valid.
import { createInterface, clearLine, cursorTo } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ResourceRecord } from '../firmware/formats';
import { formatPath } from '../firmware/model/path';
import type { Path } from '../firmware/model/types';
import { codeName, formatName, FORMAT_IDS } from './console/terms';
import { checkPath, parseTyped, pathLabel, showRecords } from './console/typed-values';
import { freeInstanceId } from './console/device-objects';
import { readFileSync } from 'node:fs';
import { hostImageFormat } from '../firmware/lwm2m/firmware-update/image';
import { splitWords } from './words';
import type { LwM2MServer, OperationResult, ServerEvent } from './lwm2m-server';
import { fwResultText, fwStateText, updateFirmware, type FirmwareUpdateEvent } from './firmware-update-job';

const FORMATS = Object.keys(FORMAT_IDS).join('|');

const HELP = `commands (<path> is /object/instance/resource, e.g. /3/0/0):
  list
  read <ep> <path> [${FORMATS}]
  write <ep> <path> <value>                 a resource ("…" or '…' around a value with spaces, "" an empty one)
  write <ep> </o/i> <rid>=<value> ...       some resources of an instance (partial update)
  execute <ep> <path> [arguments]
  create <ep> </o>[/i] <rid>=<value> ...    (no instance id: the lowest free one)
  delete <ep> </o/i>
  discover <ep> <path>
  attributes <ep> <path> <name>=<n> ...     e.g. attributes <ep> /3/0/13 pmin=1 pmax=60
                                            (gt, lt, st on numeric resources; a name alone removes it)
  observe <ep> <path> [format]              cancel <ep> <path> [passive]   (passive: forget it, RST the next notification)
  read-composite <ep> <path> <path> ...     [--senml-json]
  write-composite <ep> </o/i/r>=<value> ... [--senml-json]
  observe-composite <ep> <path> <path> ...  [--senml-json]     cancel-composite <ep> [passive]
  update <ep> <file> [push|pull]            Firmware Update: push writes the file to /5/0/0 (Block1),
                                            pull serves it here and writes its URI to /5/0/1; then
                                            Update once Downloaded, and State / Update Result as they change
  (data a client Sends to /dp is printed as it arrives)
  quit`;

export interface ShellOptions {
  /** Where command lines come from (default stdin). */
  input?: Readable;
  /** Where the prompt is drawn (default stdout). */
  output?: Writable;
  /** `quit`, Ctrl-C on an empty line, Ctrl-D (default: SIGINT to this process, which closes the server and exits). */
  onQuit?: () => void;
  /** Treat the input as a terminal (keys, Ctrl-C, Ctrl-D) whatever it is; default: when the output is a TTY. */
  terminal?: boolean;
  /** A command still waiting for its device after this long says so, ms (default 1000). */
  pendingNoticeMs?: number;
}

/** A mistake in the command line: printed as one line, nothing sent. */
class UsageError extends Error {}

function check<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new UsageError(r.reason);
  return r.value;
}

function format(name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const id = FORMAT_IDS[name];
  if (id === undefined) throw new UsageError(`unknown format "${name}": use one of ${Object.keys(FORMAT_IDS).join(', ')}`);
  return id;
}

/** "<rid>=<value>" items under an instance, each checked against its resource's type. */
function assignments(base: Path, items: string[]): ResourceRecord[] {
  if (items.length === 0) throw new UsageError('give at least one <rid>=<value>');
  return items.map((kv) => {
    const eq = kv.indexOf('=');
    const rid = Number(kv.slice(0, eq));
    if (eq < 1 || !/^\d+$/.test(kv.slice(0, eq)) || rid > 65534) throw new UsageError(`"${kv}" is not <rid>=<value>`);
    const path = { ...base, resourceId: rid };
    return { path, value: check(parseTyped(path, kv.slice(eq + 1))) };
  });
}

/** `raw`: the rest of the line after the first argument, as typed (Execute arguments keep their quotes). */
interface Command {
  args: string;
  min: number;
  run(ep: string, args: string[], raw: string): Promise<void>;
}

export interface Shell {
  /** Print a line that did not come from a command (a log line), redrawing the prompt under it. */
  say(text: string): void;
  close(): void;
}

export function startShell(server: LwM2MServer, out: (s: string) => void, opts: ShellOptions = {}): Shell {
  const output = opts.output ?? process.stdout;
  const rl = createInterface({
    input: opts.input ?? process.stdin,
    output,
    prompt: 'lwm2m> ',
    ...(opts.terminal !== undefined ? { terminal: opts.terminal } : {}),
  });
  const terminal = (rl as unknown as { terminal: boolean }).terminal;
  const observations = new Map<string, (opts?: { passive?: boolean }) => Promise<void>>();
  let busy = 0;

  // A line that arrives while the prompt waits (notify, send, registration) is
  // drawn above the prompt, which is redrawn with what was typed so far.
  const say = (text: string) => {
    if (!terminal || busy > 0) {
      out(text);
      return;
    }
    clearLine(output, 0);
    cursorTo(output, 0);
    out(text);
    rl.prompt(true);
  };
  const listener = (e: ServerEvent) => {
    if (e.type === 'send') say(`send from ${e.reg.endpoint} (${formatName(e.contentFormat)}):\n${showRecords(e.records)}`);
    // Observations end with the registration (a new Register or its end): forget them, so they can be made again.
    const ended =
      e.type === 'deregistered'
        ? e.expired
          ? 'expired'
          : 'de-registered'
        : e.type === 'registered' && e.replaced
          ? 'registered again'
          : undefined;
    if (!ended) return;
    const keys = [...observations.keys()].filter((k) => k.startsWith(`${e.reg.endpoint} `));
    for (const k of keys) {
      void observations.get(k)!({ passive: true }).catch(() => {});
      observations.delete(k);
    }
    if (keys.length)
      say(`${e.reg.endpoint} ${ended}: its observations ended (${keys.map((k) => k.slice(e.reg.endpoint.length + 1)).join(', ')})`);
  };
  server.listeners.add(listener);

  /** "2.05 Content (senml-json)" or "4.05 Method Not Allowed: <the client's reason>", then the values. */
  const print = (r: OperationResult, prefix = '', write = out) => {
    const shown = r.records ? ` (${formatName(r.contentFormat)})` : '';
    const reason = r.text && !r.records ? `: ${r.text}` : '';
    const undecoded =
      r.code === '2.05' && !r.records && r.payload?.length
        ? ` (${r.payload.length} bytes of ${formatName(r.contentFormat) ?? 'no format'} that did not decode)`
        : '';
    write(prefix + codeName(r.code) + shown + reason + undecoded + (r.records?.length ? '\n' + showRecords(r.records) : ''));
  };
  const path = (text: string) => check(checkPath(text));
  const composite = (args: string[]) => ({
    items: args.filter((a) => a !== '--senml-json'),
    format: args.includes('--senml-json') ? FORMAT_IDS['senml-json'] : FORMAT_IDS['senml-cbor'],
  });
  const forget = async (key: string, passive: boolean) => {
    const c = observations.get(key);
    if (!c) throw new UsageError(`no observation of ${key}`);
    observations.delete(key);
    await c({ passive });
    out('cancelled');
  };

  const commands: Record<string, Command> = {
    read: {
      args: `<ep> <path> [${FORMATS}]`,
      min: 1,
      run: async (ep, [p, f]) => print(await server.read(ep, formatPath(path(p)), format(f))),
    },
    discover: {
      args: '<ep> <path>',
      min: 1,
      run: async (ep, [p]) => {
        const r = await server.discover(ep, formatPath(path(p)));
        out(codeName(r.code) + (r.links ? '' : r.text ? `: ${r.text}` : ''));
        for (const l of r.links ?? []) {
          const lp = checkPath(l.target);
          out(
            `<${l.target}>${l.attrs.map(([k, v]) => `;${k}${v === undefined ? '' : '=' + v}`).join('')}${lp.ok ? '  ' + pathLabel(lp.value).slice(l.target.length + 1) : ''}`,
          );
        }
      },
    },
    write: {
      args: '<ep> <path> <value> | <ep> </o/i> <rid>=<value> ...',
      min: 2,
      run: async (ep, [p, ...rest]) => {
        const target = path(p);
        // One word is the value as typed ("" an empty string); several unquoted words are one text with spaces.
        if (target.resourceId !== undefined)
          print(await server.write(ep, formatPath(target), check(parseTyped(target, rest.length === 1 ? rest[0] : rest.join(' ')))));
        else if (target.instanceId !== undefined)
          print(await server.write(ep, formatPath(target), assignments(target, rest), { replace: false }));
        else throw new UsageError('write names a resource (/o/i/r) or an instance (/o/i)');
      },
    },
    execute: {
      args: '<ep> <path> [arguments]',
      min: 1,
      run: async (ep, [p], raw) => {
        const target = path(p);
        if (target.resourceId === undefined) throw new UsageError('execute names a resource, e.g. /1/0/8');
        print(await server.execute(ep, formatPath(target), raw));
      },
    },
    create: {
      args: '<ep> </o>[/i] <rid>=<value> ...',
      min: 2,
      run: async (ep, [p, ...rest]) => {
        const target = path(p);
        if (target.objectId === undefined || target.resourceId !== undefined)
          throw new UsageError('create names an object (/o) or a new instance (/o/i)');
        const instanceId = target.instanceId ?? freeInstanceId(server.clients.get(ep), target.objectId);
        const r = await server.create(ep, `/${target.objectId}`, assignments({ objectId: target.objectId, instanceId }, rest));
        print(r);
        if (r.location) out(`created ${r.location}`);
      },
    },
    delete: { args: '<ep> </o/i>', min: 1, run: async (ep, [p]) => print(await server.delete(ep, formatPath(path(p)))) },
    attributes: {
      args: '<ep> <path> <name>=<n> ...',
      min: 2,
      run: async (ep, [p, ...rest]) => {
        const attrs: Record<string, string | null> = {};
        for (const kv of rest) {
          const [k, v] = kv.split('=');
          if (!/^[a-z]+$/.test(k) || (v !== undefined && v === '')) throw new UsageError(`"${kv}" is not <name>=<number> or <name>`);
          attrs[k] = v ?? null;
        }
        print(await server.writeAttributes(ep, formatPath(path(p)), attrs));
      },
    },
    observe: {
      args: `<ep> <path> [${FORMATS}]`,
      min: 1,
      run: async (ep, [p, f]) => {
        const key = `${ep} ${formatPath(path(p))}`;
        if (observations.has(key)) throw new UsageError(`already observing ${key}`);
        const target = formatPath(path(p));
        const o = await server.observe(ep, target, (r) => print(r, `notify ${target} from ${ep}: `, say), format(f));
        if (o.first.code === '2.05') observations.set(key, o.cancel);
        print(o.first);
      },
    },
    cancel: { args: '<ep> <path> [passive]', min: 1, run: (ep, [p, mode]) => forget(`${ep} ${formatPath(path(p))}`, mode === 'passive') },
    'read-composite': {
      args: '<ep> <path> <path> ... [--senml-json]',
      min: 1,
      run: async (ep, args) => {
        const c = composite(args);
        print(
          await server.readComposite(
            ep,
            c.items.map((p) => formatPath(path(p))),
            c.format,
          ),
        );
      },
    },
    'write-composite': {
      args: '<ep> </o/i/r>=<value> ... [--senml-json]',
      min: 1,
      run: async (ep, args) => {
        const c = composite(args);
        const records = c.items.map((kv) => {
          const eq = kv.indexOf('=');
          const p = path(eq > 0 ? kv.slice(0, eq) : kv);
          if (eq < 0 || p.resourceId === undefined) throw new UsageError(`"${kv}" is not </o/i/r>=<value>`);
          return { path: p, value: check(parseTyped(p, kv.slice(eq + 1))) };
        });
        print(await server.writeComposite(ep, records, c.format));
      },
    },
    'observe-composite': {
      args: '<ep> <path> <path> ... [--senml-json]',
      min: 1,
      run: async (ep, args) => {
        const c = composite(args);
        const paths = c.items.map((p) => formatPath(path(p)));
        if (observations.has(`${ep} composite`)) throw new UsageError(`already observing a composite of ${ep}; cancel-composite first`);
        const o = await server.observeComposite(ep, paths, (r) => print(r, `notify ${paths.join(',')} from ${ep}: `, say), c.format);
        if (o.first.code === '2.05') observations.set(`${ep} composite`, o.cancel);
        print(o.first);
      },
    },
    'cancel-composite': { args: '<ep> [passive]', min: 0, run: (ep, [mode]) => forget(`${ep} composite`, mode === 'passive') },
    update: {
      args: '<ep> <file> [push|pull]',
      min: 1,
      run: async (ep, [file, how, ...extra]) => {
        if (how !== undefined && how !== 'push' && how !== 'pull') throw new UsageError(`"${how}" is not push or pull`);
        if (extra.length) throw new UsageError(`usage: update <ep> <file> [push|pull]`);
        let image: Uint8Array;
        try {
          image = new Uint8Array(readFileSync(file));
        } catch (e) {
          throw new UsageError(
            `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}`,
          );
        }
        if (image.length === 0) throw new UsageError(`${file} is empty`);
        const method = how ?? 'push';
        const head = hostImageFormat.inspect(image.subarray(0, hostImageFormat.headerLength));
        const what = `${image.length} bytes${head.ok ? `, host image ${JSON.stringify(head.info.name)} version ${JSON.stringify(head.info.version)}` : ''}`;
        const tell = (e: FirmwareUpdateEvent) => {
          switch (e.type) {
            case 'start':
              out(
                e.method === 'push'
                  ? `update ${ep}: pushing ${file} (${what}) to /5/0/0`
                  : `update ${ep}: serving ${file} (${what}); Package URI ${e.uri}`,
              );
              break;
            case 'delivered':
              out(
                `update ${ep}: Write ${method === 'push' ? '/5/0/0 Package' : '/5/0/1 Package URI'} → ${codeName(e.code)}${e.text ? `: ${e.text}` : ''}`,
              );
              break;
            case 'state':
              out(`update ${ep}: State = ${fwStateText(e.state)}`);
              break;
            case 'result':
              out(`update ${ep}: Update Result = ${fwResultText(e.result)}`);
              break;
            case 'executed':
              out(`update ${ep}: Execute /5/0/2 Update → ${codeName(e.code)}${e.text ? `: ${e.text}` : ''}`);
              break;
            case 'registered':
              out(`update ${ep}: registered again`);
              break;
            case 'version':
              out(`update ${ep}: /3/0/3 Firmware Version = ${JSON.stringify(e.version)}`);
              break;
          }
        };
        const r = await updateFirmware(server, ep, image, { method, name: file, onEvent: tell });
        out(r.ok ? `update ${ep}: done, ${fwResultText(r.result)}` : `update ${ep}: failed: ${r.reason}`);
      },
    },
  };

  const list = () => {
    if (server.clients.size === 0) out('no client is registered');
    for (const c of server.clients.values()) {
      out(
        `${c.endpoint}  ${c.peer.address}:${c.peer.port}  /rd/${c.id}  lifetime ${c.lifetime} s  binding ${c.binding}  lwm2m ${c.lwm2mVersion}${c.secure ? `  coaps (PSK identity "${c.pskIdentity ?? ''}")` : ''}`,
      );
      out(
        `  ${c.links
          .filter((l) => l.target !== '/')
          .map((l) => `<${l.target}>`)
          .join(',')}`,
      );
      if (c.queueMode) {
        const queued = server.presence.queued(c.endpoint);
        out(
          `  Queue Mode: ${server.presence.isAwake(c.endpoint) ? 'awake' : 'asleep'}${queued.length ? `; waiting for it: ${queued.map((q) => q.what).join(', ')}` : ''}`,
        );
      }
    }
  };

  const run = async (line: string) => {
    const split = splitWords(line);
    if ('error' in split) throw new UsageError(`${split.error}: put a value with spaces in "…", an empty one as ""`);
    const [cmd, ep, ...args] = split.words;
    if (cmd === undefined) return;
    const raw = split.starts.length > 3 ? line.slice(split.starts[3]).trim() : '';
    if (cmd === 'help') {
      out(HELP);
      return;
    }
    if (cmd === 'quit' || cmd === 'exit') {
      quit();
      rl.close();
      return;
    }
    if (cmd === 'list') {
      list();
      return;
    }
    const c = commands[cmd];
    if (!c) throw new UsageError(`unknown command "${cmd}"; try help`);
    if (!ep || args.length < c.min) throw new UsageError(`usage: ${cmd} ${c.args}`);
    if (!server.clients.has(ep)) throw new UsageError(`${ep} is not registered; list shows who is`);
    await c.run(ep, args, raw);
  };

  // Ctrl-C, Ctrl-D and `quit` all end the prompt through here, once. Without a SIGINT
  // listener readline would pause its input on Ctrl-C, and the prompt would freeze.
  let ending = false;
  let closing = false;
  const quit = () => {
    if (ending) return;
    ending = true;
    server.listeners.delete(listener);
    (opts.onQuit ?? (() => process.kill(process.pid, 'SIGINT')))();
  };
  rl.on('SIGINT', () => {
    // Ctrl-C drops a half-typed line, as a shell does; on an empty line it quits.
    if (rl.line.length > 0) {
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      output.write('^C\n');
      rl.prompt();
      return;
    }
    output.write('^C\n');
    rl.close();
  });
  let rlClosed = false;
  rl.on('close', () => {
    rlClosed = true;
    if (closing) return;
    // Ctrl-D (end of input at a terminal) quits. Input that is not a terminal (a script piped
    // in, /dev/null under a service manager) ends the prompt only: the server goes on.
    if (terminal) quit();
    else if (!ending) out('input closed: the prompt ends; the server runs on until Ctrl-C or SIGTERM');
  });

  // A command whose device is slow says so after a moment, and how long it will wait; its result
  // or its failure follows, naming the device and the operation (other lines may come between).
  const pendingNotice = opts.pendingNoticeMs ?? 1000;
  rl.on('line', (line) => {
    busy++;
    const [cmd, ep] = line.trim().split(/\s+/);
    const waiting =
      cmd && ep && cmd !== 'update' && commands[cmd] && server.clients.has(ep)
        ? setTimeout(() => {
            const t = server.requestTimeoutMs;
            out(`waiting for ${ep} to answer ${line.trim()}${t !== undefined ? ` (up to ${t / 1000} s)` : ''} …`);
          }, pendingNotice)
        : undefined;
    run(line)
      .catch((e) => out(e instanceof UsageError ? e.message : `error: ${(e as Error).message}`))
      .finally(() => {
        clearTimeout(waiting);
        busy--;
        if (!rlClosed) rl.prompt();
      });
  });
  rl.prompt();
  return {
    say,
    close: () => {
      closing = true;
      server.listeners.delete(listener);
      rl.close();
    },
  };
}

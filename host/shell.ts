// The interactive prompt of `xs-lwm2m server`: drive a device from a laptop.
import { createInterface } from 'node:readline';
import { ContentFormat, type ResourceRecord } from '../firmware/formats';
import { parsePath } from '../firmware/model/path';
import type { Value } from '../firmware/model/types';
import { resolveType } from '../firmware/lwm2m/resolver';
import type { LwM2MServer, OperationResult } from './lwm2m-server';

const FORMAT_NAMES: Record<string, number> = {
  tlv: ContentFormat.TLV, 'senml-json': ContentFormat.SENML_JSON, 'senml-cbor': ContentFormat.SENML_CBOR,
  text: ContentFormat.TEXT, opaque: ContentFormat.OPAQUE, json: ContentFormat.LWM2M_JSON,
};

const HELP = `commands:
  list
  read <ep> <path> [tlv|senml-json|senml-cbor|text|opaque]
  write <ep> <path> <value>              (resource)     write <ep> </o/i> <rid>=<value> ...  (instance, partial)
  execute <ep> <path> [args]
  create <ep> </o> <rid>=<value> ...
  delete <ep> </o/i>
  discover <ep> <path>
  attributes <ep> <path> pmin=1 pmax=60 gt=20 lt=5 st=1
  observe <ep> <path> [format]           cancel <ep> <path> [passive]   (passive: forget it, RST the next notification)
  read-composite <ep> <path> <path> ...  [--senml-json]
  write-composite <ep> </o/i/r>=<value> ...  [--senml-json]
  observe-composite <ep> <path> <path> ...  [--senml-json]     cancel-composite <ep> [passive]
  (Send from a client is printed as it arrives)
  quit`;

/** Parse a text value by the resource's data type. */
export function parseValue(path: string, text: string): Value {
  const p = parsePath(path);
  const t = p && p.objectId !== undefined && p.resourceId !== undefined ? resolveType(p.objectId, p.resourceId)?.type : undefined;
  switch (t) {
    case 'integer': case 'unsigned': case 'time': {
      const b = BigInt(text);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'float': return Number(text);
    case 'boolean': return text === 'true' || text === '1';
    case 'opaque': return Uint8Array.from((text.replace(/^0x/, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));
    case 'objlnk': { const [o, i] = text.split(':').map(Number); return { objectId: o, instanceId: i }; }
    default: return text;
  }
}

export function startShell(server: LwM2MServer, out: (s: string) => void, show: (r: ResourceRecord[] | undefined) => string): void {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'lwm2m> ' });
  const observations = new Map<string, (opts?: { passive?: boolean }) => Promise<void>>();
  server.listeners.add((e) => {
    if (e.type !== 'send') return;
    out(`send from ${e.reg.endpoint}:`);
    out(show(e.records));
  });
  const print = (r: OperationResult) => {
    out(r.code + (r.text && !r.records ? ` ${r.text}` : ''));
    if (r.records) out(show(r.records));
  };
  const assignments = (base: string, items: string[]): ResourceRecord[] => items.map((kv) => {
    const [rid, ...v] = kv.split('=');
    const path = `${base.replace(/\/$/, '')}/${rid}`;
    const p = parsePath(path);
    if (!p) throw new Error(`bad resource ${rid}`);
    return { path: p, value: parseValue(path, v.join('=')) };
  });
  rl.on('line', (line) => {
    const [cmd, ep, path, ...rest] = line.trim().split(/\s+/);
    const run = async () => {
      switch (cmd) {
        case undefined: case '': return;
        case 'help': out(HELP); return;
        case 'quit': case 'exit': rl.close(); process.kill(process.pid, 'SIGINT'); return;
        case 'list':
          for (const c of server.clients.values()) out(`${c.endpoint}  ${c.peer.address}:${c.peer.port}  /rd/${c.id}  lt=${c.lifetime}  ${c.links.map((l) => `<${l.target}>`).join(',')}`);
          return;
      }
      if (!ep) { out('need <endpoint>; try help'); return; }
      const args = [path, ...rest].filter((a) => a !== undefined);
      const composite = args.includes('--senml-json') ? ContentFormat.SENML_JSON : ContentFormat.SENML_CBOR;
      const plain = args.filter((a) => a !== '--senml-json');
      switch (cmd) {
        case 'read-composite': print(await server.readComposite(ep, plain, composite)); return;
        case 'write-composite': {
          const records: ResourceRecord[] = plain.map((kv) => {
            const [p, ...v] = kv.split('=');
            const pp = parsePath(p);
            if (!pp || pp.resourceId === undefined) throw new Error(`bad resource path ${p}`);
            return { path: pp, value: parseValue(p, v.join('=')) };
          });
          print(await server.writeComposite(ep, records, composite));
          return;
        }
        case 'observe-composite': {
          const o = await server.observeComposite(ep, plain, (r) => { out(`notify ${plain.join(',')}: ${r.code}`); if (r.records) out(show(r.records)); }, composite);
          observations.set(`${ep} composite`, o.cancel);
          print(o.first);
          return;
        }
        case 'cancel-composite': {
          const c = observations.get(`${ep} composite`);
          if (!c) { out('no such observation'); return; }
          observations.delete(`${ep} composite`);
          await c({ passive: path === 'passive' });
          out('cancelled');
          return;
        }
      }
      if (!path) { out('need <endpoint> <path>; try help'); return; }
      switch (cmd) {
        case 'read': print(await server.read(ep, path, FORMAT_NAMES[rest[0] ?? 'tlv'] ?? ContentFormat.TLV)); return;
        case 'discover': { const r = await server.discover(ep, path); out(`${r.code} ${r.text ?? ''}`); return; }
        case 'write': {
          const p = parsePath(path);
          if (p?.resourceId !== undefined) print(await server.write(ep, path, parseValue(path, rest.join(' '))));
          else print(await server.write(ep, path, assignments(path, rest), { replace: false }));
          return;
        }
        case 'execute': print(await server.execute(ep, path, rest.join(' '))); return;
        case 'create': { const r = await server.create(ep, path, assignments(`${path}/0`, rest)); out(`${r.code} ${r.location ?? r.text ?? ''}`); return; }
        case 'delete': print(await server.delete(ep, path)); return;
        case 'attributes': {
          const attrs: Record<string, string | null> = {};
          for (const kv of rest) { const [k, v] = kv.split('='); attrs[k] = v ?? null; }
          print(await server.writeAttributes(ep, path, attrs));
          return;
        }
        case 'observe': {
          const o = await server.observe(ep, path, (r) => { out(`notify ${path}: ${r.code}`); if (r.records) out(show(r.records)); }, FORMAT_NAMES[rest[0] ?? 'tlv']);
          observations.set(`${ep} ${path}`, o.cancel);
          print(o.first);
          return;
        }
        case 'cancel': {
          const c = observations.get(`${ep} ${path}`);
          if (!c) { out('no such observation'); return; }
          observations.delete(`${ep} ${path}`);
          await c({ passive: rest[0] === 'passive' });
          out('cancelled');
          return;
        }
        default: out(`unknown command ${cmd}; try help`);
      }
    };
    run().catch((e) => out(`error: ${(e as Error).message}`)).finally(() => rl.prompt());
  });
  rl.prompt();
}

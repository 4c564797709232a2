// Execute (Core §5.4.5, Transport §6.4.5): POST on an executable resource,
// with optional arguments, run by the object's handler (objects/object-api.ts). An
// executable resource exists, for Discover too, only when its handler can
// run it.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code, codeString } from '../../coap/message';
import type { Path } from '../../model/types';
import { utf8Decode } from '../../util/utf8';
import { ACL } from './access-control';
import { denied, fail, type DmScope } from './scope';
import type { ExecuteArgument, ExecuteResult } from '../objects/object-api';

export function execute(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  const oid = path.objectId!,
    iid = path.instanceId!,
    rid = path.resourceId!;
  if (!ctx.tree().getInstance(oid, iid)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, oid, iid, ACL.EXECUTE);
  if (d) return fail(scope, d.code, d.reason, req);
  const handler = ctx.objects.handler(oid);
  if (!handler?.execute || !ctx.objects.canExecute(oid, iid, rid)) return fail(scope, Code.METHOD_NOT_ALLOWED, 'nothing to execute', req);
  const args = parseExecuteArguments(utf8Decode(req.payload));
  if (!args) return fail(scope, Code.BAD_REQUEST, 'bad execute arguments', req);
  let result: ExecuteResult | number | void;
  try {
    result = handler.execute({ instanceId: iid, resourceId: rid, args, ssid });
  } catch (e) {
    ctx.log.error(`objects: execute handler of /${oid}/${iid}/${rid} failed: ${(e as Error).message}`);
    return fail(scope, Code.INTERNAL_SERVER_ERROR, 'execute failed', req);
  }
  const code = typeof result === 'number' ? result : (result?.code ?? Code.CHANGED);
  ctx.log.info(`dm: execute /${req.path.join('/')} by ssid=${ssid} → ${codeString(code)}`);
  if (typeof result === 'number') return { code };
  return { code, sent: result?.afterResponse };
}

/**
 * Core §5.4.5: a comma-separated list of `digit` or `digit='value'`, the value
 * any printable character but the quote; undefined when the text is not that.
 * An empty payload is no argument.
 */
export function parseExecuteArguments(text: string): ExecuteArgument[] | undefined {
  if (text === '') return [];
  const out: ExecuteArgument[] = [];
  let i = 0;
  for (;;) {
    const c = text.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) return undefined;
    const digit = c - 0x30;
    i++;
    if (text[i] === '=') {
      if (text[i + 1] !== "'") return undefined;
      const end = text.indexOf("'", i + 2);
      if (end < 0) return undefined;
      const value = text.slice(i + 2, end);
      for (let k = 0; k < value.length; k++) {
        const v = value.charCodeAt(k);
        if (v < 0x20 || v > 0x7e) return undefined;
      }
      out.push({ digit, value });
      i = end + 1;
    } else {
      out.push({ digit });
    }
    if (i === text.length) return out;
    if (text[i] !== ',') return undefined;
    i++;
  }
}

// Execute (Core §5.4.5, Transport §6.4.5): POST on an executable resource,
// with optional arguments; what runs is the client's (executables.ts) or the
// application's. An executable resource exists, for Discover too, only when
// the client can run it.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { Code, codeString } from '../coap/message';
import type { Path } from '../model/types';
import { utf8Decode } from '../util/utf8';
import { ACL } from './access-control';
import { bootstrapAccount } from './accounts';
import { denied, fail, type DmScope } from './dm-scope';
import { DEV, OBJ, SRV } from './ids';

export interface ExecuteContext { ssid: number; path: Path; args: string }
/** What an Execute did: its response code (default 2.04), and what runs once that response is on the wire. */
export interface ExecuteResult { code?: number; afterResponse?: () => void }
/** Runs after the checks (a bare number is the response code); must not throw. */
export type ExecuteHandler = (ctx: ExecuteContext) => ExecuteResult | number | void;

export function execute(scope: DmScope, path: Path, req: IncomingRequest, ssid: number): ResponseSpec {
  const { ctx } = scope;
  if (!ctx.tree().getInstance(path.objectId!, path.instanceId!)) return fail(scope, Code.NOT_FOUND, 'instance not found', req);
  const d = denied(scope, ssid, path.objectId!, path.instanceId!, ACL.EXECUTE);
  if (d) return fail(scope, d.code, d.reason, req);
  const handler = ctx.executables.get(`${path.objectId}/${path.resourceId}`);
  if (!handler) return fail(scope, Code.METHOD_NOT_ALLOWED, 'nothing to execute', req);
  const args = utf8Decode(req.payload);
  if (!validExecuteArgs(args)) return fail(scope, Code.BAD_REQUEST, 'bad execute arguments', req);
  let result: ExecuteResult | number | void;
  try { result = handler({ ssid, path, args }); } catch (e) {
    ctx.log.warn(`dm: execute handler failed: ${(e as Error).message}`);
    return fail(scope, Code.INTERNAL_SERVER_ERROR, 'execute failed', req);
  }
  const code = typeof result === 'number' ? result : result?.code ?? Code.CHANGED;
  ctx.log.info(`dm: execute /${req.path.join('/')} by ssid=${ssid} → ${codeString(code)}`);
  if (typeof result === 'number') return { code };
  return { code, sent: result?.afterResponse };
}

/** An executable resource exists (Discover lists it, ETS int-260) when the client can run it. */
export function canExecute(scope: DmScope, oid: number, rid: number): boolean {
  const { ctx } = scope;
  if (!ctx.executables.has(`${oid}/${rid}`)) return false;
  if (oid === OBJ.DEVICE && rid === DEV.REBOOT) return ctx.device.info.reboot !== undefined;
  if (oid === OBJ.DEVICE && rid === DEV.FACTORY_RESET) return ctx.device.info.factoryReset !== undefined;
  // Without a Bootstrap-Server Account there is nobody to send the Bootstrap-Request to.
  if (oid === OBJ.SERVER && rid === SRV.BOOTSTRAP_REQUEST_TRIGGER) return bootstrapAccount(ctx.tree()) !== undefined;
  return true;
}

// Core §5.4.5: arguments are a comma-separated list of digit or digit='text'.
function validExecuteArgs(s: string): boolean {
  return s === '' || /^\d(='[^']*')?(,\d(='[^']*')?)*$/.test(s);
}

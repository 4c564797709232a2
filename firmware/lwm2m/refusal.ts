// How the Bootstrap and the Device Management interfaces refuse a request:
// the reason goes to the log and, as text/plain, to the server, so a failed
// step can be diagnosed from either end.
import type { IncomingRequest, ResponseSpec } from '../coap/api';
import { codeString, methodName } from '../coap/message';
import { ContentFormat } from '../formats/index';
import type { Logger } from '../platform/ports';
import { utf8Encode } from '../util/utf8';

export function refusal(log: Logger, area: string, req: IncomingRequest, code: number, reason: string): ResponseSpec {
  log.warn(`${area}: ${methodName(req.method)} /${req.path.join('/')} → ${codeString(code)} ${reason}`);
  return textResponse(code, reason);
}

/** A response whose body is a human-readable text (a diagnostic). */
export function textResponse(code: number, text: string): ResponseSpec {
  return { code, contentFormat: ContentFormat.TEXT, payload: utf8Encode(text) };
}

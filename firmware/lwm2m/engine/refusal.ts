// How the Bootstrap and the Device Management interfaces refuse a request:
// the reason goes to the log and, as text/plain, to the server, so a failed
// step can be diagnosed from either end.
import type { IncomingRequest, ResponseSpec } from '../../coap/api';
import { Code, codeString, methodName } from '../../coap/message';
import { ContentFormat, type FormatErrorKind } from '../../formats/index';
import type { Logger } from '../../platform/ports';
import { utf8Encode } from '../../util/utf8';

export function refusal(log: Logger, area: string, req: IncomingRequest, code: number, reason: string): ResponseSpec {
  log.warn(`${area}: ${methodName(req.method)} /${req.path.join('/')} → ${codeString(code)} ${reason}`);
  return textResponse(code, reason);
}

/**
 * The answer to a payload that did not decode or records that did not encode (Core §5.4, Transport
 * Table 6.4-1): a format this client does not read 4.15, one it cannot answer in 4.06, a bad payload
 * 4.00, one over the codec's bounds 4.13, and records the client cannot write out 5.00.
 */
export function formatErrorCode(kind: FormatErrorKind): number {
  switch (kind) {
    case 'unsupported':
      return Code.UNSUPPORTED_CONTENT_FORMAT;
    case 'not-acceptable':
      return Code.NOT_ACCEPTABLE;
    case 'too-large':
      return Code.REQUEST_ENTITY_TOO_LARGE;
    case 'internal':
      return Code.INTERNAL_SERVER_ERROR;
    default:
      return Code.BAD_REQUEST; // 'malformed', 'outside-base', 'type-mismatch'
  }
}

/** A response whose body is a human-readable text (a diagnostic). */
export function textResponse(code: number, text: string): ResponseSpec {
  return { code, contentFormat: ContentFormat.TEXT, payload: utf8Encode(text) };
}

// Checks the Bootstrap and the Device Management interfaces make alike on a
// request that carries data, so both answer the same thing the same way.
import type { IncomingRequest } from '../../coap/api';
import { Code } from '../../coap/message';
import { ContentFormat, formatEntry } from '../../formats/index';
import type { Path } from '../../model/types';

export type Refused = { ok: false; code: number; reason: string };

/**
 * The content format of a Write or Create payload. Without Content-Format a
 * resource value is text/plain (Core §7.3.1); anything else needs one (4.00);
 * a format this client does not decode is 4.15 (Core §5.2.7.4 / Transport Table 6.4-1).
 */
export function payloadFormat(req: IncomingRequest, path: Path): { ok: true; format: number } | Refused {
  const format = req.contentFormat ?? (path.resourceId !== undefined ? ContentFormat.TEXT : undefined);
  if (format === undefined) return { ok: false, code: Code.BAD_REQUEST, reason: 'Content-Format missing' };
  if (!formatEntry(format)) return { ok: false, code: Code.UNSUPPORTED_CONTENT_FORMAT, reason: `content format ${format}` };
  return { ok: true, format };
}

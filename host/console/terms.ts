// CoAP response-code and Content-Format names, so the prompt, the console API
// and the page say "4.05 Method Not Allowed (senml-json)" rather than bare numbers. The format names
// come from the content-format registry (firmware/formats/registry.ts).
import { ContentFormat, FORMAT_ENTRIES } from '../../firmware/formats';

/** RFC 7252 §12.1.2 and RFC 7959 / 8132 response codes, by their "c.dd" text. */
const CODE_NAMES: Record<string, string> = {
  '2.01': 'Created',
  '2.02': 'Deleted',
  '2.03': 'Valid',
  '2.04': 'Changed',
  '2.05': 'Content',
  '2.31': 'Continue',
  '4.00': 'Bad Request',
  '4.01': 'Unauthorized',
  '4.02': 'Bad Option',
  '4.03': 'Forbidden',
  '4.04': 'Not Found',
  '4.05': 'Method Not Allowed',
  '4.06': 'Not Acceptable',
  '4.08': 'Request Entity Incomplete',
  '4.09': 'Conflict',
  '4.12': 'Precondition Failed',
  '4.13': 'Request Entity Too Large',
  '4.15': 'Unsupported Content-Format',
  '4.22': 'Unprocessable Entity',
  '5.00': 'Internal Server Error',
  '5.01': 'Not Implemented',
  '5.02': 'Bad Gateway',
  '5.03': 'Service Unavailable',
  '5.04': 'Gateway Timeout',
  '5.05': 'Proxying Not Supported',
};

/** "2.05 Content"; an unlisted code keeps just its number. */
export function codeName(code: string): string {
  const name = CODE_NAMES[code];
  return name ? `${code} ${name}` : code;
}

/** A success class (2.xx) code. */
export function isSuccess(code: string): boolean {
  return code.startsWith('2.');
}

/** The Content-Formats a request can ask for, by the names the prompt and the API take (LwM2M Core §7.2). */
export const FORMAT_IDS: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(FORMAT_ENTRIES.map((e) => [e.word, e.id])));

/** Formats a composite operation can carry (SenML only, Transport §6.4.6). */
export const COMPOSITE_FORMATS: readonly string[] = Object.freeze(FORMAT_ENTRIES.filter((e) => e.shape === 'composite').map((e) => e.word));

const FORMAT_NAMES: Record<number, string> = {
  ...Object.fromEntries(FORMAT_ENTRIES.flatMap((e) => [[e.id, e.word], ...e.aliases.map((a) => [a, `${e.word} (1.0)`])])),
  [ContentFormat.LINK_FORMAT]: 'link-format',
};

/** "senml-json" for 110; "format 1234" for one without a name; undefined when there was none. */
export function formatName(id: number | undefined): string | undefined {
  if (id === undefined) return undefined;
  return FORMAT_NAMES[id] ?? `format ${id}`;
}

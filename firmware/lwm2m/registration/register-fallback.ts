// What a Register tells a server about the client, and the plainer forms it
// falls back to when a server refuses it (Core §6.2.1). The first form says
// everything: `lwm2m=1.1` and every Content-Format the client reads and
// writes in the root link's `ct` (RFC 7252 §7.2.1 allows a quoted list; the
// 1.2 Core shows `ct="110 112 60"`). Servers built on 1.1.1's example
// (`</>;ct=110`) or on 1.0 refuse parts of it: a list in `ct` (4.00), an
// unknown `ct` value (4.00), or `lwm2m=1.1` itself (4.12, or 4.00 from some).
// So a 4.00 steps down one form and a 4.12 jumps to the 1.0 form, each sent at
// once, like the version fallback of other clients; the form a server took is
// kept for its Updates and later Registers.
//
//   form          lwm2m=  root link                        next on 4.00   on 4.12
//   FORM_FULL     1.1     </>;rt="oma.lwm2m";ct="0 42 …"   FORM_ONE_CT    FORM_1_0
//   FORM_ONE_CT   1.1     </>;rt="oma.lwm2m";ct=110        FORM_NO_ROOT   FORM_1_0
//   FORM_NO_ROOT  1.1     none                             FORM_1_0       FORM_1_0
//   FORM_1_0      1.0     none; Queue mode as b=UQ         none           none
import { Code } from '../../coap/message';
import { ContentFormat, encodeLinkFormat, parseLinkFormat } from '../../formats/index';

export const FORM_FULL = 0;
export const FORM_ONE_CT = 1;
export const FORM_NO_ROOT = 2;
export const FORM_1_0 = 3;

/** The one `ct` value kept from a list, in this order of preference: SenML JSON is Core 1.1.1's example and what strict servers know. */
const ONE_CT_PREFERENCE = Object.freeze([ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_JSON]);

/** The form to send after a server answered `code` to a Register in `form`; -1 when there is none (the attempt failed). */
export function nextForm(form: number, code: number, links: string): number {
  if (form >= FORM_1_0) return -1;
  if (code === Code.PRECONDITION_FAILED) return FORM_1_0;
  if (code !== Code.BAD_REQUEST) return -1;
  // Without a list in `ct` the one-value form would repeat the same request.
  if (form === FORM_FULL && rootCt(links).length < 2) return FORM_NO_ROOT;
  return form + 1;
}

/** The `lwm2m=` value of a form. */
export function formVersion(form: number): string {
  return form === FORM_1_0 ? '1.0' : '1.1';
}

/** A short description of what a form drops, for the log. */
export function formName(form: number): string {
  switch (form) {
    case FORM_FULL:
      return 'every Content-Format in ct';
    case FORM_ONE_CT:
      return 'one Content-Format in ct';
    case FORM_NO_ROOT:
      return 'no root link';
    default:
      return 'LwM2M 1.0';
  }
}

/** The Register/Update query parameters for the binding (Core §6.2.1: 1.1 sends Queue mode as `Q`, 1.0 inside `b=`). */
export function bindingQuery(form: number, binding: string): string[] {
  const letters = binding.replace(/Q/g, '') || 'U';
  if (!binding.includes('Q')) return [`b=${letters}`];
  return form === FORM_1_0 ? [`b=${letters}Q`] : [`b=${letters}`, 'Q'];
}

/** The registration payload in a form: the client's links with its root link as the form says. */
export function formLinks(links: string, form: number): string {
  if (form === FORM_FULL || !links.startsWith('</>')) return links;
  const end = firstLinkEnd(links);
  const rest = end < links.length ? links.slice(end + 1) : '';
  if (form !== FORM_ONE_CT) return rest;
  const root = parseLinkFormat(links.slice(0, end))?.[0];
  if (!root) return links;
  const values = rootCt(links);
  if (values.length < 2) return links;
  const one = ONE_CT_PREFERENCE.find((f) => values.includes(String(f))) ?? Number(values[0]);
  root.attrs = root.attrs.map(([k, v]): [string, string | undefined] => (k === 'ct' ? [k, String(one)] : [k, v]));
  return encodeLinkFormat([root]) + (rest ? `,${rest}` : '');
}

/** The values of the root link's `ct` attribute. */
function rootCt(links: string): string[] {
  if (!links.startsWith('</>')) return [];
  const root = parseLinkFormat(links.slice(0, firstLinkEnd(links)))?.[0];
  const ct = root?.attrs.find(([k]) => k === 'ct')?.[1];
  return ct === undefined ? [] : ct.split(' ').filter((v) => v !== '');
}

/** Where the first link of a link-format document ends: its separating comma (outside quotes), or the length. */
function firstLinkEnd(s: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) return i;
  }
  return s.length;
}

// CoRE Link Format (RFC 6690) for Register/Update payloads and Discover responses.

export interface Link {
  /** '/3/0', or '' for the '</>' root link … any URI reference. */
  target: string;
  /** [name, value]; value undefined for a valueless attribute (e.g. ';obs'). */
  attrs: Array<[string, string | undefined]>;
}

/** Attributes whose values LwM2M writes quoted (rt="oma.lwm2m"); other values are quoted only when needed. */
// LwM2M writes lwm2m="1.1" and uri="coap://…" quoted in Bootstrap-Discover (Core §5.2.7.3).
const ALWAYS_QUOTED = new Set(['rt', 'if', 'title', 'anchor', 'rel', 'rev', 'lwm2m', 'uri']);

function isPtoken(v: string): boolean {
  // RFC 6690 ptoken chars: ! # $ % & ' ( ) * + - . / : < = > ? @ [ ] ^ _ ` { | } ~ ALPHA DIGIT
  return v.length > 0 && /^[!#$%&'()*+\-./:<=>?@[\]^_`{|}~A-Za-z0-9]+$/.test(v);
}

function quote(v: string): string {
  return '"' + v.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

export function encodeLinkFormat(links: Link[]): string {
  let s = '';
  for (let i = 0; i < links.length; i++) {
    const l = links[i];
    if (i > 0) s += ',';
    s += '<' + (l.target === '' ? '/' : l.target) + '>';
    for (const [k, v] of l.attrs) {
      s += ';' + k;
      if (v !== undefined) s += '=' + (ALWAYS_QUOTED.has(k) || !isPtoken(v) ? quote(v) : v);
    }
  }
  return s;
}

/** Parses a link-format document; undefined if it is malformed. Quoted values may hold ',' and ';'. */
export function parseLinkFormat(s: string): Link[] | undefined {
  const links: Link[] = [];
  let i = 0;
  const n = s.length;
  const ws = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  };
  ws();
  if (i === n) return links;
  // Bound: a link per 3 characters at most, so the loop always advances.
  for (;;) {
    ws();
    if (s[i] !== '<') return undefined;
    const close = s.indexOf('>', i + 1);
    if (close < 0) return undefined;
    const target = s.slice(i + 1, close);
    i = close + 1;
    const attrs: Array<[string, string | undefined]> = [];
    while (i < n && s[i] === ';') {
      i++;
      const start = i;
      while (i < n && s[i] !== '=' && s[i] !== ';' && s[i] !== ',') i++;
      const name = s.slice(start, i).trim();
      if (name === '' || !/^[A-Za-z0-9!#$&+\-.^_`|~*]+$/.test(name)) return undefined;
      if (s[i] !== '=') {
        attrs.push([name, undefined]);
        continue;
      }
      i++;
      if (s[i] === '"') {
        let v = '';
        i++;
        for (;;) {
          if (i >= n) return undefined;
          const c = s[i++];
          if (c === '"') break;
          if (c === '\\') {
            if (i >= n) return undefined;
            v += s[i++];
          } else v += c;
        }
        attrs.push([name, v]);
      } else {
        const vs = i;
        while (i < n && s[i] !== ';' && s[i] !== ',') i++;
        const v = s.slice(vs, i);
        if (v === '' || v.includes('"')) return undefined;
        attrs.push([name, v]);
      }
    }
    links.push({ target, attrs });
    ws();
    if (i === n) return links;
    if (s[i] !== ',') return undefined;
    i++;
  }
}

// A bootstrap session as a sequence diagram (SVG): the client and the
// Bootstrap-Server as lifelines, each request an arrow, each answer a dashed
// arrow back with its code, the outcome (and the 4.06 diagnostic) at the end.
import type { MessageJson, SessionJson } from '../api-types';

const NS = 'http://www.w3.org/2000/svg';
const W = 780,
  LEFT = 150,
  RIGHT = 630,
  TOP = 70,
  STEP = 64;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function arrow(root: SVGElement, y: number, fromX: number, toX: number, cls: string): void {
  const dir = Math.sign(toX - fromX);
  root.append(svg('line', { x1: fromX, y1: y, x2: toX - dir * 2, y2: y, class: cls }));
  root.append(svg('path', { d: `M${toX},${y} l${-dir * 10},-5 v10 z`, class: `${cls} head` }));
}

const requestText = (m: MessageJson) => `${m.operation} ${m.path}` + (m.method ? `  (${m.method}${m.format ? ', ' + m.format : ''})` : '');

export function sequenceDiagram(s: SessionJson): SVGSVGElement {
  const height = TOP + s.messages.length * STEP + 70;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${height}`,
    width: W,
    height,
    class: 'sequence',
    role: 'img',
    'aria-label': `bootstrap of ${s.endpoint}`,
  });
  const actor = (x: number, title: string, sub: string) => {
    root.append(svg('rect', { x: x - 110, y: 8, width: 220, height: 44, rx: 6, class: 'actor' }));
    root.append(svg('text', { x, y: 27, class: 'actor-name' }, title));
    root.append(svg('text', { x, y: 44, class: 'actor-sub' }, sub));
    root.append(svg('line', { x1: x, y1: 52, x2: x, y2: height - 10, class: 'lifeline' }));
  };
  actor(LEFT, 'LwM2M Client', `${s.endpoint}${s.peer ? ' · ' + s.peer : ''}`);
  actor(RIGHT, 'Bootstrap-Server', s.origin === 'server' ? 'server-initiated' : 'client-initiated');

  s.messages.forEach((m, i) => {
    const y = TOP + i * STEP + 16;
    const [from, to] = m.from === 'client' ? [LEFT, RIGHT] : [RIGHT, LEFT];
    root.append(svg('text', { x: (LEFT + RIGHT) / 2, y: y - 7, class: 'message', 'data-index': i }, requestText(m)));
    arrow(root, y, from, to, 'request');
    const ok = m.code.startsWith('2.');
    const reply = svg(
      'text',
      { x: (LEFT + RIGHT) / 2, y: y + 26 - 7, class: `reply ${ok ? 'ok' : 'error'}`, 'data-index': i },
      `${m.status}${m.reason ? ' — ' + m.reason : ''}`,
    );
    if (m.detail) {
      const g = svg('g', {});
      g.append(svg('title', {}, m.detail), reply); // the Discover answer as the reply's tooltip
      root.append(g);
    } else root.append(reply);
    arrow(root, y + 26, to, from, `response ${ok ? 'ok' : 'error'}`);
  });

  const y = TOP + s.messages.length * STEP + 6;
  const outcome =
    s.ok === undefined
      ? 'in progress…'
      : s.ok
        ? 'Bootstrap finished: configuration accepted'
        : `Bootstrap failed: ${s.diagnostic ?? 'no reason given'}`;
  root.append(
    svg('rect', {
      x: LEFT - 60,
      y,
      width: RIGHT - LEFT + 120,
      height: 34,
      rx: 6,
      class: `outcome ${s.ok === undefined ? '' : s.ok ? 'ok' : 'error'}`,
    }),
  );
  root.append(svg('text', { x: (LEFT + RIGHT) / 2, y: y + 22, class: 'outcome-text' }, outcome));
  return root;
}

// The --log debug trace of CoAP messages in and out: one line per datagram
// with the peer, type, code, Message ID, token, path and query, the options
// that shape an exchange (Content-Format, Accept, Observe, Block1/2,
// Location-Path) and the payload's size. Payloads are shown only where they
// can hold no secret: link-format (a Register, a Discover answer) and the
// diagnostic text of an error response. A Bootstrap-Write of /0 carries keys.
import type { Peer } from '../firmware/coap/api';
import { OptionNumber, Type, codeString, decodeMessage, isRequestCode, methodName } from '../firmware/coap/message';
import { getAccept, getBlock, getContentFormat, getLocationPath, getObserve, getUriPath, getUriQuery } from '../firmware/coap/options';
import type { Logger } from '../firmware/platform/ports';
import { toHex } from '../firmware/util/hex';
import { utf8Decode } from '../firmware/util/utf8';
import { codeName, formatName } from './console/terms';

const TYPES = ['CON', 'NON', 'ACK', 'RST'];
const LINK_FORMAT = 40;
/** A shown payload is cut here. */
const MAX_SHOWN = 200;

/** One trace line for a datagram (without the "coap: " prefix). */
export function describeDatagram(direction: 'in' | 'out', datagram: Uint8Array, peer: Peer): string {
  const where = `${direction === 'out' ? '→' : '←'} ${peer.address}:${peer.port}`;
  const d = decodeMessage(datagram);
  if (!d.ok) return `${where} undecodable (${d.error}), ${datagram.length} bytes`;
  const m = d.message;
  const parts = [where, TYPES[m.type] ?? String(m.type)];
  if (m.code === 0) parts.push('Empty');
  else if (isRequestCode(m.code)) {
    const query = getUriQuery(m);
    parts.push(`${methodName(m.code)} /${getUriPath(m).join('/')}${query.length ? '?' + query.join('&') : ''}`);
  } else parts.push(codeName(codeString(m.code)));
  parts.push(`mid=${m.messageId}`);
  if (m.token.length) parts.push(`token=${toHex(m.token)}`);
  const ct = getContentFormat(m);
  if (ct !== undefined) parts.push(`ct=${formatName(ct)}`);
  const accept = getAccept(m);
  if (accept !== undefined) parts.push(`accept=${formatName(accept)}`);
  const observe = getObserve(m);
  if (observe !== undefined) parts.push(`observe=${observe}`);
  for (const [name, n] of [
    ['block1', OptionNumber.BLOCK1],
    ['block2', OptionNumber.BLOCK2],
  ] as const) {
    const b = getBlock(m, n);
    if (b) parts.push(`${name}=${b.num}${b.more ? '+' : ''}/${b.size}`);
  }
  const location = getLocationPath(m);
  if (location.length) parts.push(`location=/${location.join('/')}`);
  if (m.payload.length) {
    const showable = ct === LINK_FORMAT || (m.code >= 128 && (ct === undefined || ct === 0));
    const text = showable ? utf8Decode(m.payload) : '';
    parts.push(
      showable
        ? `${m.payload.length} bytes: ${text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) + '…' : text}`
        : `${m.payload.length} bytes`,
    );
  }
  if (m.type === Type.RST) parts.push('(reset)');
  return parts.join(' ');
}

/** An EndpointOptions.trace that writes each datagram as a debug line. */
export function coapTracer(log: Logger): (direction: 'in' | 'out', datagram: Uint8Array, peer: Peer) => void {
  return (direction, datagram, peer) => log.debug(`coap: ${describeDatagram(direction, datagram, peer)}`);
}

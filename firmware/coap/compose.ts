// Building the messages the stack sends: request options from a
// RequestOptions, responses from a ResponseSpec, empty ACK/RST. One place,
// so every layer composes them the same way.
import { Code, OptionNumber, encodeMessage, type CoapMessage, type CoapOption } from './message';
import { stringOption, uintOption } from './options';
import type { RequestOptions, ResponseSpec } from './api';

export const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * The options every message of a request carries: Uri-Path, Content-Format,
 * Uri-Query, Accept and the caller's own; Observe too unless `withObserve`
 * is false (Block2 follow-ups, RFC 7959 §2.4 / §3.4). Throws on a bad value.
 */
export function requestOptions(req: RequestOptions, withObserve = true): CoapOption[] {
  const options: CoapOption[] = [];
  if (withObserve && req.observe !== undefined) options.push(uintOption(OptionNumber.OBSERVE, req.observe));
  for (const s of req.path ?? []) options.push(stringOption(OptionNumber.URI_PATH, s));
  if (req.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, req.contentFormat));
  for (const s of req.query ?? []) options.push(stringOption(OptionNumber.URI_QUERY, s));
  if (req.accept !== undefined) options.push(uintOption(OptionNumber.ACCEPT, req.accept));
  for (const o of req.options ?? []) options.push(o);
  return options;
}

/** A response message: `extra` options (Observe, Block1 echo …) plus those the spec names. */
export function responseMessage(type: number, messageId: number, token: Uint8Array, spec: ResponseSpec, extra: CoapOption[]): CoapMessage {
  const options: CoapOption[] = extra.slice();
  if (spec.contentFormat !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, spec.contentFormat));
  for (const s of spec.locationPath ?? []) options.push(stringOption(OptionNumber.LOCATION_PATH, s));
  for (const o of spec.options ?? []) options.push(o);
  // encodeMessage puts the options in number order.
  return { type, code: spec.code, messageId, token, options, payload: spec.payload ?? EMPTY };
}

/** An empty message (ACK, RST) for `messageId`. */
export function emptyMessage(type: number, messageId: number): Uint8Array {
  return encodeMessage({ type, code: Code.EMPTY, messageId, token: EMPTY, options: [], payload: EMPTY });
}

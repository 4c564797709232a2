// Requests we receive (RFC 7252 §5 server side): one ServerExchange per
// request from its arrival to its response. Requests the stack can answer by
// itself (a bad critical option, a proxy request, a Block1 block, a cached
// Block2 block) never reach the handler. The handler's answer is piggybacked
// on the ACK, or sent as a separate CON response after an empty ACK once it
// takes longer than separateResponseDelay (§5.2.2), or as a NON to a NON;
// observe and block-wise options are added on the way out.
import { Code, OptionNumber, Type, encodeMessage, type CoapMessage, type CoapOption } from './message';
import { encodeBlock, firstBadCriticalOption, getBlock } from './options';
import { responseMessage } from './compose';
import type { DeadlineOwner, Due } from './deadlines';
import { ServerExchange, type ObservedRelation } from './exchange';
import type { DedupEntry } from './dedup';
import { RequestResponseLayer, type LowerLayers } from './layers';
import type { StackContext } from './stack-context';
import type { Peer, RequestHandler, ResponseSpec } from './api';

function isThenable(x: unknown): x is PromiseLike<ResponseSpec | null> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

export class Responder extends RequestResponseLayer implements DeadlineOwner {
  handler: RequestHandler | null = null;
  /** Requests whose handler is still running (bounded by the dedup cache they each hold an entry of). */
  private readonly inProgress = new Set<ServerExchange>();

  constructor(ctx: StackContext, lower: LowerLayers) {
    super(ctx, lower);
  }

  receiveRequest(msg: CoapMessage, peer: Peer, entry: DedupEntry): void {
    const sx = new ServerExchange(this.observe, msg, peer, entry);
    if (firstBadCriticalOption(msg) >= 0) {
      this.ctx.stats.badOptions++;
      this.respond(sx, { code: Code.BAD_OPTION });
      return;
    }
    if (sx.refusal !== 0) {
      this.respond(sx, { code: sx.refusal });
      return;
    }
    const b1 = getBlock(msg, OptionNumber.BLOCK1)!;
    const reply = this.blockwise.receiveRequestBody(sx, b1);
    if (reply) {
      if (reply.direct) this.sendDirect(msg, peer, reply.spec, entry);
      else this.respond(sx, reply.spec);
      return;
    }
    const cached = this.blockwise.cachedBlock(sx);
    if (cached) {
      this.respond(sx, cached);
      return;
    }
    if (sx.observe === 1) this.observe.deregister(sx);
    this.run(sx);
  }

  /** Requests whose handler is still running. */
  get running(): number {
    return this.inProgress.size;
  }

  close(): void {
    this.inProgress.clear();
  }

  private run(sx: ServerExchange): void {
    const handler = this.handler;
    if (!handler) {
      this.respond(sx, { code: Code.NOT_FOUND });
      return;
    }
    const stats = this.ctx.stats;
    stats.handlerRuns++;
    let result: ResponseSpec | null | PromiseLike<ResponseSpec | null>;
    try {
      result = handler(sx);
    } catch (e) {
      stats.handlerErrors++;
      this.ctx.log.warn(`coap: request handler threw: ${(e as Error).message}`);
      this.respond(sx, { code: Code.INTERNAL_SERVER_ERROR });
      return;
    }
    if (!isThenable(result)) {
      this.respond(sx, result);
      return;
    }
    this.inProgress.add(sx);
    if (sx.message.type === Type.CON) this.ctx.deadlines.schedule(sx, this.ctx.limits.separateResponseDelay, this);
    result.then(
      (r) => this.respond(sx, r),
      (e: unknown) => {
        stats.handlerErrors++;
        this.ctx.log.warn(`coap: request handler failed: ${(e as Error)?.message ?? String(e)}`);
        this.respond(sx, { code: Code.INTERNAL_SERVER_ERROR });
      },
    );
  }

  /** The handler is taking its time: an empty ACK stops the peer's retransmissions (§5.2.2). */
  expired(item: Due): void {
    const sx = item as ServerExchange;
    const entry = sx.entry;
    if (entry.acked || sx.finished) return;
    entry.reply = this.matcher.sendEmpty(Type.ACK, sx.message.messageId, sx.peer);
    entry.acked = true;
  }

  /** Sends the answer to `sx` (null: ignore the request), with Observe and Block2 as needed. */
  private respond(sx: ServerExchange, spec: ResponseSpec | null): void {
    if (sx.finished) return;
    sx.finished = true;
    this.inProgress.delete(sx);
    this.ctx.deadlines.cancel(sx);
    sx.entry.processing = false;
    if (this.ctx.closed) return;
    const extra = this.observe.responseOptions(sx, spec);
    if (spec === null) return;
    if (sx.block1Echo) {
      const b = sx.block1Echo;
      extra.push({ number: OptionNumber.BLOCK1, value: encodeBlock(b.num, false, b.szx) });
    }
    const streamed = sx.streamedBlock;
    if (streamed) {
      // A streamed body: each block's answer echoes its Block1; success before the last block means "go on" (§2.3).
      const success = spec.code >= Code.CREATED && spec.code < Code.BAD_REQUEST;
      if (streamed.more && success) spec = { ...spec, code: Code.CONTINUE, payload: undefined, contentFormat: undefined };
      if (success || spec.code === Code.CONTINUE)
        extra.push({ number: OptionNumber.BLOCK1, value: encodeBlock(streamed.num, streamed.more, streamed.szx) });
    }
    const b2 = sx.block2;
    const offset = b2 ? b2.num * b2.size : 0;
    const blocked = this.blockwise.slice(spec, offset, this.blockwise.responseSzx(b2), !!b2, sx.message, sx.peerKey);
    if (!blocked) {
      this.sendDirect(sx.message, sx.peer, { code: Code.BAD_OPTION }, sx.entry);
      return;
    }
    this.send(sx, blocked, extra, sx.relation);
  }

  /** A reply decided by the stack itself (errors, 2.31): piggybacked on a CON, a NON to a NON. */
  private sendDirect(req: CoapMessage, peer: Peer, spec: ResponseSpec, entry: DedupEntry): void {
    const con = req.type === Type.CON;
    const bytes = encodeMessage(responseMessage(con ? Type.ACK : Type.NON, con ? req.messageId : this.ctx.newMid(), req.token, spec, []));
    entry.processing = false;
    if (con) {
      entry.reply = bytes;
      entry.acked = true;
    }
    this.ctx.send(bytes, peer);
  }

  private send(sx: ServerExchange, spec: ResponseSpec, extra: CoapOption[], rel: ObservedRelation | null): void {
    const req = sx.message;
    const entry = sx.entry;
    if (req.type === Type.CON && !entry.acked) {
      const bytes = encodeMessage(responseMessage(Type.ACK, req.messageId, req.token, spec, extra));
      entry.reply = bytes;
      entry.acked = true;
      this.ctx.send(bytes, sx.peer);
    } else if (req.type === Type.CON) {
      // Separate response (§5.2.2): a new CON with the request's token; only its relation cares about its fate.
      this.ctx.stats.separateResponses++;
      const msg = responseMessage(Type.CON, this.ctx.newMid(), req.token, spec, extra);
      if (!this.reliability.sendCon(sx.peer, msg, this.observe, rel)) {
        this.ctx.log.warn('coap: separate response dropped, too many pending exchanges');
        if (rel) this.observe.end(rel, 'local');
      }
    } else {
      const msg = responseMessage(Type.NON, this.ctx.newMid(), req.token, spec, extra);
      if (rel) this.reliability.sendNon(sx.peer, msg, rel);
      else this.ctx.send(encodeMessage(msg), sx.peer);
    }
    const sent = spec.sent;
    if (sent) this.ctx.safe(sent);
  }
}

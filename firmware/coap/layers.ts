// The layers the request/response layers (requests.ts, responder.ts) stand on,
// kept apart from stack-context.ts so that no layer's module imports another
// through the shared context (the stack imports in one direction only).
import type { Blockwise } from './blockwise';
import type { Matcher } from './matcher';
import type { ObserveLayer } from './observe';
import type { Reliability } from './reliability';
import type { StackContext } from './stack-context';

/** The layers under the request/response layer (requests.ts, responder.ts). */
export interface LowerLayers {
  readonly observe: ObserveLayer;
  readonly blockwise: Blockwise;
  readonly reliability: Reliability;
  readonly matcher: Matcher;
}

/** What the request/response layers (requests.ts, responder.ts) stand on. */
export abstract class RequestResponseLayer {
  protected readonly observe: ObserveLayer;
  protected readonly blockwise: Blockwise;
  protected readonly reliability: Reliability;
  protected readonly matcher: Matcher;

  constructor(
    protected readonly ctx: StackContext,
    lower: LowerLayers,
  ) {
    ({ observe: this.observe, blockwise: this.blockwise, reliability: this.reliability, matcher: this.matcher } = lower);
  }
}

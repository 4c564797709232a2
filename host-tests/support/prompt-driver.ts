// Drives the server prompt (host/shell.ts) through its streams, as a user at a
// terminal would: type a line, wait for the prompt to come back, read what it printed.
// Waits are on what the shell writes (no polling, no clock).
import { PassThrough } from 'node:stream';
import type { LwM2MServer } from '../../host/lwm2m-server';
import { startShell, type Shell } from '../../host/shell';

export class PromptDriver {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  /** Every line the shell printed, in order. */
  readonly lines: string[] = [];
  quits = 0;
  /** How many times the prompt has been shown. */
  prompts = 0;
  private wake: () => void = () => {};

  constructor() {
    this.output.on('data', (d: Buffer) => {
      this.written += d.toString();
      this.prompts += d.toString().split('lwm2m> ').length - 1;
      this.wake();
    });
  }

  /** Everything the shell wrote to its output (the prompt, echoed keys), as text. */
  written = '';

  /** `terminal`: the shell reads keys as from a TTY (Ctrl-C, Ctrl-D). */
  start(server: LwM2MServer, o: { terminal?: boolean; pendingNoticeMs?: number } = {}): Shell {
    return startShell(
      server,
      (s) => {
        this.lines.push(...s.split('\n'));
        this.wake();
      },
      {
        input: this.input,
        output: this.output,
        onQuit: () => {
          this.quits++;
          this.wake();
        },
        ...o,
      },
    );
  }

  /** Resolves once pred() holds; re-checked on every line and prompt the shell writes. */
  until(pred: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = () => {
        if (pred()) {
          this.wake = () => {};
          resolve();
        }
      };
      this.wake();
    });
  }

  /** Types one line; resolves with what the shell printed once the prompt is back. */
  async cmd(line: string): Promise<string[]> {
    const from = this.lines.length,
      want = this.prompts + 1;
    this.input.write(line + '\n');
    await this.until(() => this.prompts >= want);
    return this.lines.slice(from);
  }
}

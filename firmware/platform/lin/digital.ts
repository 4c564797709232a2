// `embedded:io/digital` for the Moddable Linux runtime, which has none: an
// output pin that reports its level changes on the console, so the firmware's
// status LED (platform/moddable/status-led) can be watched in a lin run.
declare const trace: (line: string) => void;

interface DigitalOptions {
  pin: number;
  mode: number;
}

export default class Digital {
  static readonly Input = 0;
  static readonly Output = 8;
  private readonly pin: number;
  private level: 0 | 1 | undefined;

  constructor(options: DigitalOptions) {
    if (options.mode !== Digital.Output) throw new RangeError('lin: only Digital.Output is emulated');
    this.pin = options.pin;
  }

  write(value: 0 | 1): void {
    const level = value ? 1 : 0;
    if (level === this.level) return;
    this.level = level;
    trace(`[lin] gpio ${this.pin} = ${level}\n`);
  }

  read(): 0 | 1 {
    return this.level ?? 0;
  }

  close(): void {
    this.level = undefined;
  }
}

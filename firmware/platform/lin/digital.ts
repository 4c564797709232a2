// `embedded:io/digital` for the Moddable Linux runtime, which has none:
//  - an output pin reports its level changes on the console (`[lin] gpio 2 = 1`),
//    so the firmware's status LED and an app's LED can be watched in a lin run;
//  - an input pin reads its level from the file <flashDirectory>xs-lwm2m-gpio<pin>
//    ("0" or "1"; absent: 1 with a pull-up, else 0), polled every
//    INPUT_POLL_MS while it has an onReadable, which runs on each edge it asked
//    for (Digital.Rising / Digital.Falling), as on a board. A test "presses" a
//    button by writing that file.
// The constants are the SDK's (modules/io/digital: digitalbank.js, digital.js).
import config from 'mc/config';
import { File } from 'file';
import Timer from 'timer';

declare const trace: (line: string) => void;

/** How often an input with an onReadable looks at its file. */
export const INPUT_POLL_MS = 50;

interface DigitalOptions {
  pin: number;
  mode: number;
  edge?: number;
  onReadable?: (this: Digital) => void;
}

const dir = (config as unknown as { flashDirectory?: string }).flashDirectory ?? '/tmp/';

export default class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly Rising = 1;
  static readonly Falling = 2;

  private readonly pin: number;
  private readonly input: boolean;
  private level: 0 | 1 | undefined;
  private poll: Timer | undefined;

  constructor(options: DigitalOptions) {
    this.pin = options.pin;
    const m = options.mode;
    this.input = m === Digital.Input || m === Digital.InputPullUp || m === Digital.InputPullDown || m === Digital.InputPullUpDown;
    if (!this.input && m !== Digital.Output) throw new RangeError('lin: only Digital.Output and the Digital.Input modes are emulated');
    if (!this.input) return;
    const idle: 0 | 1 = m === Digital.InputPullUp ? 1 : 0;
    const path = `${dir}xs-lwm2m-gpio${this.pin}`;
    const sample = (): 0 | 1 => {
      if (!File.exists(path)) return idle;
      const f = new File(path);
      try {
        return f.length === 0 ? idle : f.read(String, 1) === '1' ? 1 : 0;
      } finally {
        f.close();
      }
    };
    this.level = sample();
    const edge = options.edge ?? 0;
    const onReadable = options.onReadable;
    if (onReadable === undefined || edge === 0) return;
    this.poll = Timer.repeat(() => {
      const now = sample();
      if (now === this.level) return;
      this.level = now;
      if (edge & (now === 1 ? Digital.Rising : Digital.Falling)) onReadable.call(this);
    }, INPUT_POLL_MS);
  }

  write(value: 0 | 1): void {
    if (this.input) throw new Error('lin: write to an input pin');
    const level = value ? 1 : 0;
    if (level === this.level) return;
    this.level = level;
    trace(`[lin] gpio ${this.pin} = ${level}\n`);
  }

  read(): 0 | 1 {
    return this.level ?? 0;
  }

  close(): void {
    if (this.poll !== undefined) Timer.clear(this.poll);
    this.poll = undefined;
    this.level = undefined;
  }
}

// Child processes for the test harnesses (Leshan JVMs, the Moddable Linux
// runtime): each in its own process group, output kept (bounded) and matched
// line by line, and a stop that always happens (explicit stop, process exit,
// SIGINT/SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';

/** Lines of child output kept for diagnostics (older lines dropped, counted). */
const LOG_LINES_KEPT = 2000;
/** Grace given after SIGTERM (a JVM's shutdown hooks deregister) before SIGKILL. */
const STOP_GRACE_MS = 5000;

const running = new Set<ManagedProcess>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL the groups, no grace.
  process.on('exit', () => {
    for (const p of running) if (p.pid) killGroup(p.pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const p of running) if (p.pid) killGroup(p.pid, 'SIGKILL');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export interface LineWaiter {
  re: RegExp;
  resolve: (m: RegExpExecArray) => void;
}

/** One child process in its own process group, with its output kept (bounded) for failure reports. */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly startedAt = Date.now();
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private readonly lines: string[] = [];
  private droppedLines = 0;
  private waiters: LineWaiter[] = [];
  private partial = { out: '', err: '' };

  constructor(name: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.name = name;
    installExitHooks();
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true, // own process group: stop() kills the child and anything it forks
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid;
    running.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => this.onData('out', d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.onData('err', d));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        running.delete(this);
        resolve();
      });
      this.child.once('error', (err) => {
        this.pushLine(`[spawn error] ${err.message}`);
        running.delete(this);
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null && running.has(this);
  }

  private onData(stream: 'out' | 'err', chunk: string): void {
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.pushLine(line);
  }

  private pushLine(line: string): void {
    if (this.lines.length >= LOG_LINES_KEPT) {
      this.lines.shift();
      this.droppedLines++;
    }
    this.lines.push(line);
    if (this.waiters.length) {
      this.waiters = this.waiters.filter((w) => {
        const m = w.re.exec(line);
        if (m) w.resolve(m);
        return !m;
      });
    }
  }

  /** The kept output, for failure messages. */
  log(lastLines = 200): string {
    const kept = this.lines.slice(-lastLines);
    const skipped = this.droppedLines + this.lines.length - kept.length;
    return (skipped ? `[... ${skipped} earlier lines]\n` : '') + kept.join('\n');
  }

  /** Lines seen so far matching `re`. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  /**
   * Resolves with the first output line (already seen or future) matching `re`;
   * rejects after `timeoutMs` or if the process exits, with the log attached.
   */
  waitForLine(re: RegExp, timeoutMs: number, fromStart = true): Promise<RegExpExecArray> {
    if (fromStart) {
      for (const l of this.lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: LineWaiter = {
        re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.failure(`no line matching ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        reject(this.failure(`exited (code ${this.exitCode}, signal ${this.exitSignal}) before a line matching ${re}`));
      });
    });
  }

  failure(what: string): Error {
    return new Error(`${this.name}: ${what}\n----- ${this.name} log -----\n${this.log()}\n-----`);
  }

  /** SIGTERM the group (a JVM's shutdown hooks run), SIGKILL after a grace period. Never throws. */
  async stop(graceMs = STOP_GRACE_MS, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.pid || !running.has(this)) return;
    killGroup(this.pid, signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      killGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
  }
}

/** Stops every child this harness started (for a mocha root `after`). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

// Java child processes for the Leshan interop harness: locate Java, free loopback
// ports, spawn in their own process group, bounded log, readiness waits, and a
// stop that always happens (explicit stop, process exit, SIGINT/SIGTERM).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Lines of child output kept for diagnostics (older lines dropped, counted). */
const LOG_LINES_KEPT = 2000;
/** Grace given to a JVM after SIGTERM (shutdown hooks deregister) before SIGKILL. */
const STOP_GRACE_MS = 5000;

export class JavaMissingError extends Error {}

/** The java binary: $JAVA, else $JAVA_HOME/bin/java, else `java` on PATH. */
export function javaCommand(): string {
  if (process.env.JAVA) return process.env.JAVA;
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

let javaChecked: string | undefined;

/**
 * Fails fast and clearly (never hangs) when no usable Java 17+ is installed.
 * Returns the version line; a success is cached unless `fresh`.
 */
export function checkJava(fresh = false): string {
  if (javaChecked && !fresh) return javaChecked;
  const cmd = javaCommand();
  const r = spawnSync(cmd, ['-version'], { encoding: 'utf8', timeout: 15000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}`;
    throw new JavaMissingError(
      `Leshan interop needs Java 17+, but '${cmd} -version' failed (${why}). ` +
        `Install it (Debian: apt-get install -y openjdk-17-jdk-headless maven) or set JAVA_HOME.`,
    );
  }
  const text = `${r.stderr}${r.stdout}`;
  const m = /version "(\d+)/.exec(text);
  const major = m ? Number(m[1]) : 0;
  if (major < 17) {
    throw new JavaMissingError(`Leshan interop needs Java 17+, found: ${text.split('\n')[0]}`);
  }
  javaChecked = text.split('\n')[0];
  return javaChecked;
}

/** A UDP port free on `host` right now (the OS picks it; tiny race accepted). */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A TCP port free on `host` right now. */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<JavaProcess>();
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

/** One JVM in its own process group, with its output kept (bounded) for failure reports. */
export class JavaProcess {
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

  constructor(name: string, args: string[], cwd: string) {
    this.name = name;
    installExitHooks();
    this.child = spawn(javaCommand(), args, {
      cwd,
      detached: true, // own process group: stop() kills the JVM and anything it forks
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

  /** SIGTERM the group (JVM shutdown hooks run), SIGKILL after a grace period. Never throws. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.pid || !running.has(this)) return;
    killGroup(this.pid, 'SIGTERM');
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

/** Stops every JVM this harness started (for a mocha root `after`). */
export async function stopAllJava(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

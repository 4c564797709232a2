// Java child processes for the Leshan interop harness: locate Java, free loopback
// ports; the process handling itself is support/managed-process.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { ManagedProcess, stopAllProcesses } from '../../support/managed-process';

export { ManagedProcess, type LineWaiter } from '../../support/managed-process';

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

/** One JVM, run by the Java this machine has (javaCommand). */
export class JavaProcess extends ManagedProcess {
  constructor(name: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
    super(name, javaCommand(), args, { cwd, env });
  }
}

/** Stops every JVM (and any other child) this harness started (for a mocha root `after`). */
export const stopAllJava = stopAllProcesses;

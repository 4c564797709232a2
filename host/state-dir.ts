// A --state directory (a client's, or the server's): one process at a time (a lock file with
// the owner's pid), and the command line it was set up with, so a later one
// that names another endpoint or server is told instead of silently running
// on what the directory holds.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The directory belongs to a client that is running. */
export class StateInUseError extends Error {
  override readonly name = 'StateInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir} is in use by another xs-lwm2m process (pid ${pid})`);
  }
}

/** What the command line says differs from what the directory was set up with. */
export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
  constructor(
    readonly dir: string,
    readonly stored: StateSetup,
    readonly given: StateSetup,
  ) {
    super(`${dir} holds the configuration of ${describe(stored)}, not of ${describe(given)}`);
  }
}

/** What a state directory was set up from: the factory side of the command line (never a key). */
export interface StateSetup {
  endpoint: string;
  bootstrap?: string;
  server?: string;
}

const describe = (s: StateSetup) =>
  [`--endpoint ${s.endpoint}`, s.bootstrap && `--bootstrap ${s.bootstrap}`, s.server && `--server ${s.server}`].filter(Boolean).join(' ');

const LOCK = 'lock';
const SETUP = 'command-line.json';
/** Directories this process holds (a second client in the same process is refused too). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock, or throws StateInUseError; a lock left by a process that is gone is taken over. */
export function lockState(dir: string): () => void {
  const path = join(dir, LOCK);
  if (held.has(path)) throw new StateInUseError(dir, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new StateInUseError(dir, pid);
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  held.add(path);
  const release = () => {
    if (!held.delete(path)) return;
    try {
      if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) rmSync(path, { force: true });
    } catch {
      /* gone already */
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

/**
 * Checks the command line against the one the directory was set up with (`store`:
 * the file that holds its configuration). A directory with no configuration yet
 * takes this command line; `reset` drops what it holds and starts from this one.
 */
export function checkStateSetup(dir: string, store: string, given: StateSetup, reset: boolean): void {
  const setupPath = join(dir, SETUP);
  if (reset) rmSync(join(dir, store), { force: true });
  else if (existsSync(join(dir, store)) && existsSync(setupPath)) {
    let stored: StateSetup | undefined;
    try {
      stored = JSON.parse(readFileSync(setupPath, 'utf8')) as StateSetup;
    } catch {
      stored = undefined;
    }
    if (stored && (stored.endpoint !== given.endpoint || stored.bootstrap !== given.bootstrap || stored.server !== given.server)) {
      throw new StateConflictError(dir, stored, given);
    }
  }
  writeFileSync(setupPath, JSON.stringify(given) + '\n');
}

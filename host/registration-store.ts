// The LwM2M Server's registrations kept in a file, so a restarted server knows
// its devices at once instead of when each one next sends an Update (minutes).
// One JSON document rewritten whole (to a temporary file, then renamed: a crash
// leaves the old or the new one) after each Register, Update and De-register.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../firmware/platform/ports';

/** A registration as stored: times are wall-clock ms, so they survive the process. */
export interface SavedRegistration {
  endpoint: string;
  id: string;
  address: string;
  port: number;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  /** The object links as the Register or last Update sent them (link-format). */
  links: string;
  registeredAt: number;
  lastUpdate: number;
  updates: number;
}

export interface RegistrationStore {
  /** What is stored (nothing when there is no file or it is damaged). */
  load(): SavedRegistration[];
  save(all: SavedRegistration[]): void;
  /** Where, for the log. */
  readonly where: string;
}

const VERSION = 1;

export function fileRegistrationStore(path: string, log: Logger): RegistrationStore {
  return {
    where: path,
    load(): SavedRegistration[] {
      if (!existsSync(path)) return [];
      try {
        const j = JSON.parse(readFileSync(path, 'utf8')) as { version?: number; registrations?: SavedRegistration[] };
        if (j.version !== VERSION || !Array.isArray(j.registrations)) throw new Error('not a registration file of this version');
        return j.registrations.filter(
          (r) =>
            typeof r?.endpoint === 'string' &&
            typeof r.id === 'string' &&
            typeof r.address === 'string' &&
            Number.isInteger(r.port) &&
            Number.isFinite(r.lifetime) &&
            typeof r.links === 'string' &&
            Number.isFinite(r.lastUpdate),
        );
      } catch (e) {
        log.error(`server: ${path} cannot be read (${(e as Error).message}); starting without stored registrations`);
        return [];
      }
    },
    save(all: SavedRegistration[]): void {
      try {
        writeFileSync(`${path}.tmp`, JSON.stringify({ version: VERSION, registrations: all }, null, 1) + '\n');
        renameSync(`${path}.tmp`, path);
      } catch (e) {
        log.error(`server: registrations not stored in ${path}: ${(e as Error).message}`);
      }
    },
  };
}

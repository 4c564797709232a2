// TEMPORARY (remove when firmware/store/record-store.ts lands): the store API
// from the C brief that main.ts codes against. Seen only by tsconfig.device.json.
import type { Flash, Logger } from '../../../../ports';

export type CommitResult = { ok: true } | { ok: false; error: string };

export declare class RecordStore {
  static mount(flash: Flash, opts?: { log?: Logger }): RecordStore;
  get(key: number): Uint8Array | undefined;
  keys(): number[];
  commit(changes: Array<{ key: number; value: Uint8Array | null }>): CommitResult;
  readonly formatVersion: number;
}

// Write-Attributes hold until the server that set them changes them (Core
// §5.1.2), across restarts too: the attributes are stored beside the
// configuration after each change, restored at start, and dropped with the
// server account they belong to — in the same store commit as the
// configuration that drops it (engine/persistence.ts), so a power cut never leaves
// the attributes of one configuration beside another. The stored form is
// bounded by the store's maxBytes (reporting/attribute-records.ts).
import type { Logger } from '../../platform/ports';
import { serverAccounts } from '../registration/accounts';
import { decodeAttributeRecord, encodeAttributeRecord } from './attribute-records';
import type { AttributeStore } from './attributes';
import type { ConfigPersistence } from '../engine/client-options';
import type { ObjectTree } from '../objects/object-tree';

export class AttributeKeeper {
  /** Changes made here are stored by the caller (restore, or with the configuration), not on their own. */
  private quiet = false;

  constructor(
    private readonly attributes: AttributeStore,
    private readonly persistence: ConfigPersistence | undefined,
    private readonly log: Logger,
  ) {
    if (persistence?.saveAttributes)
      attributes.onChange = () => {
        if (!this.quiet) this.save();
      };
  }

  /** At start: the stored attributes of the servers this configuration has (the store forgets the others). */
  restore(tree: ObjectTree): void {
    const record = this.persistence?.loadAttributes?.();
    if (!record) return;
    const entries = decodeAttributeRecord(record);
    if (!entries) {
      this.log.error('store: notification attributes damaged; starting without them');
      return;
    }
    let kept: number;
    this.quiet = true;
    try {
      const n = this.attributes.restore(entries);
      if (n < entries.length) this.log.warn(`client: ${entries.length - n} stored attribute sets over the bounds dropped`);
      this.attributes.retainServers(serverIds(tree));
      kept = this.attributes.size;
    } finally {
      this.quiet = false;
    }
    if (kept < entries.length) this.save();
  }

  /**
   * A new configuration: the attributes of servers it no longer has go. Returns the record to commit
   * together with that configuration (null: none left; undefined: attributes are not stored).
   */
  retain(tree: ObjectTree): Uint8Array | null | undefined {
    this.quiet = true;
    try {
      this.attributes.retainServers(serverIds(tree));
    } finally {
      this.quiet = false;
    }
    return this.persistence?.saveAttributes ? this.record() : undefined;
  }

  private record(): Uint8Array | null {
    const entries = this.attributes.entries();
    return entries.length ? encodeAttributeRecord(entries) : null;
  }

  private save(): void {
    const p = this.persistence;
    if (p?.saveAttributes && !p.saveAttributes(this.record()))
      this.log.error('client: notification attributes could not be stored; they hold until a restart');
  }
}

function serverIds(tree: ObjectTree): Set<number> {
  return new Set(serverAccounts(tree).map((a) => a.ssid));
}

// Write-Attributes hold until the server that set them changes them (Core
// §5.1.2), across restarts too: the attributes are stored beside the
// configuration after each change, restored at start, and dropped with the
// server account they belong to. The stored form is bounded by the store's
// maxBytes (attribute-records.ts).
import type { Logger } from '../platform/ports';
import { serverAccounts } from './accounts';
import { decodeAttributeRecord, encodeAttributeRecord } from './attribute-records';
import type { AttributeStore } from './attributes';
import type { ConfigPersistence } from './client-config';
import type { ObjectTree } from './object-tree';

export class AttributeKeeper {
  private restoring = false;

  constructor(private readonly attributes: AttributeStore, private readonly persistence: ConfigPersistence | undefined,
    private readonly log: Logger) {
    if (persistence?.saveAttributes) attributes.onChange = () => { if (!this.restoring) this.save(); };
  }

  /** At start: the stored attributes of the servers this configuration has. */
  restore(tree: ObjectTree): void {
    const record = this.persistence?.loadAttributes?.();
    if (!record) return;
    const entries = decodeAttributeRecord(record);
    if (!entries) { this.log.error('store: notification attributes damaged; starting without them'); return; }
    this.restoring = true;
    try {
      const n = this.attributes.restore(entries);
      if (n < entries.length) this.log.warn(`client: ${entries.length - n} stored attribute sets over the bounds dropped`);
    } finally {
      this.restoring = false;
    }
    this.retain(tree);
  }

  /** A new configuration: the attributes of servers it no longer has go (and the stored record with them). */
  retain(tree: ObjectTree): void {
    this.attributes.retainServers(new Set(serverAccounts(tree).map((a) => a.ssid)));
  }

  private save(): void {
    const entries = this.attributes.entries();
    const ok = this.persistence!.saveAttributes!(entries.length ? encodeAttributeRecord(entries) : null);
    if (!ok) this.log.error('client: notification attributes could not be stored; they hold until a restart');
  }
}

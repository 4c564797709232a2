// The client configuration in the flash record store: one record per
// persisted object instance plus a manifest naming them all (and, at a
// bootstrap commit, the notification attributes), written as one atomic
// commit. Anything missing or damaged on load means "no stored configuration"
// (the client bootstraps again) rather than running on garbage.
import type { Logger } from '../../platform/ports';
import type { Change, RecordStore } from '../../store/record-store';
import { decodeInstance, encodeInstance, instanceKey, splitInstanceKey } from '../../store/object-codec';
import type { ConfigPersistence } from './client';
import { DEV, OBJ } from './ids';
import { ObjectTree, type InstanceData } from '../objects/object-tree';
import type { PendingUpdate, PendingUpdateStore } from '../firmware-update/update';
import { utf8Decode, utf8Encode } from '../../util/utf8';

/** Manifest key: above every instance key (object ids stop at 65534). */
export const MANIFEST_KEY = 0xffff_0000;
/** Bumped when what is stored changes meaning; an unknown version is not loaded. */
export const CONFIG_VERSION = 1;
/** Device resources that are configuration (the rest is rebuilt at start). */
const PERSISTED_DEVICE_RESOURCES = new Set<number>([DEV.UTC_OFFSET, DEV.TIMEZONE]);
const PERSISTED_OBJECTS = new Set<number>([OBJ.SECURITY, OBJ.SERVER, OBJ.ACCESS_CONTROL, OBJ.DEVICE]);

export function storePersistence(store: RecordStore, log: Logger): ConfigPersistence {
  return {
    load(): ObjectTree | undefined {
      const manifest = store.get(MANIFEST_KEY);
      if (!manifest) return undefined;
      const keys = parseManifest(manifest);
      if (!keys) {
        log.error('store: configuration manifest damaged or of an unknown version; ignoring stored configuration');
        return undefined;
      }
      const tree = new ObjectTree();
      for (const key of keys) {
        const bytes = store.get(key);
        const inst = bytes && decodeInstance(bytes);
        const { objectId, instanceId } = splitInstanceKey(key);
        if (!inst) {
          log.error(`store: /${objectId}/${instanceId} missing or damaged; ignoring stored configuration`);
          return undefined;
        }
        tree.objects.set(objectId, tree.objects.get(objectId) ?? new Map());
        tree.objects.get(objectId)!.set(instanceId, inst as InstanceData);
      }
      return tree;
    },
    loadAttributes: () => store.get(ATTRIBUTES_KEY),
    saveAttributes: (record: Uint8Array | null) => putRecord(store, ATTRIBUTES_KEY, record, 'notification attributes', log),
    loadRegisterForms: () => store.get(REGISTER_FORMS_KEY),
    saveRegisterForms: (record: Uint8Array | null) => putRecord(store, REGISTER_FORMS_KEY, record, 'Register forms', log),
    save(tree: ObjectTree, attributes?: Uint8Array | null): boolean {
      const r = store.commit(configurationChanges(store, tree, attributes));
      if (!r.ok) log.error(`store: commit failed (${r.error})`);
      return r.ok;
    },
    clear(): boolean {
      // One commit: a power cut leaves the old configuration or none, never a part of it.
      const changes: Array<{ key: number; value: null }> = [];
      for (const key of store.keys()) if (key <= MANIFEST_KEY || key === ATTRIBUTES_KEY) changes.push({ key, value: null });
      if (changes.length === 0) return true;
      const r = store.commit(changes);
      if (!r.ok) log.error(`store: erasing the configuration failed (${r.error})`);
      return r.ok;
    },
  };
}

function filterDevice(inst: InstanceData): InstanceData {
  const out: InstanceData = new Map();
  for (const [rid, v] of inst) if (PERSISTED_DEVICE_RESOURCES.has(rid)) out.set(rid, v);
  return out;
}

function encodeManifest(keys: number[]): Uint8Array {
  const b = new Uint8Array(4 + keys.length * 4);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, CONFIG_VERSION);
  dv.setUint16(2, keys.length);
  keys.sort((a, b) => a - b).forEach((k, i) => dv.setUint32(4 + i * 4, k));
  return b;
}

function parseManifest(b: Uint8Array): number[] | undefined {
  if (b.length < 4) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(0) !== CONFIG_VERSION) return undefined;
  const n = dv.getUint16(2);
  if (b.length !== 4 + n * 4) return undefined;
  const keys: number[] = [];
  for (let i = 0; i < n; i++) keys.push(dv.getUint32(4 + i * 4));
  return keys;
}

/**
 * The configuration as one store commit: every persisted instance, the
 * deletion of instances it no longer has, the manifest and, when given, the
 * attributes' record (null deletes it). Whether a record changed is decided
 * once, by the store (RecordStore.commit leaves out what would change
 * nothing), so an unchanged configuration costs no flash write.
 */
export function configurationChanges(store: RecordStore, tree: ObjectTree, attributes?: Uint8Array | null): Change[] {
  const changes: Change[] = [];
  const keys: number[] = [];
  for (const oid of PERSISTED_OBJECTS) {
    for (const [iid, inst] of tree.instances(oid) ?? []) {
      const key = instanceKey(oid, iid);
      keys.push(key);
      changes.push({ key, value: encodeInstance(oid === OBJ.DEVICE ? filterDevice(inst) : inst) });
    }
  }
  const wanted = new Set(keys);
  // Only instance records are the configuration's (other keys, e.g. a pending firmware update, are not).
  for (const key of store.keys()) if (key < MANIFEST_KEY && !wanted.has(key)) changes.push({ key, value: null });
  changes.push({ key: MANIFEST_KEY, value: encodeManifest(keys) });
  // In the same commit: a power cut leaves the old pair or the new one, never attributes of another configuration.
  if (attributes !== undefined) changes.push({ key: ATTRIBUTES_KEY, value: attributes });
  return changes;
}

/** One record beside the configuration, in a commit of its own (the store writes nothing when it is already so). */
function putRecord(store: RecordStore, key: number, value: Uint8Array | null, what: string, log: Logger): boolean {
  const r = store.commit([{ key, value }]);
  if (!r.ok) log.error(`store: ${what} not stored (${r.error})`);
  return r.ok;
}

/** Key of the notification attributes the servers set (beside the configuration, not part of it). */
export const ATTRIBUTES_KEY = 0xffff_0200;

/** Key of the Register forms strict servers took (beside the configuration, not part of it). */
export const REGISTER_FORMS_KEY = 0xffff_0300;

/** Key of a firmware update under way across a restart (beside the configuration, not part of it). */
export const PENDING_UPDATE_KEY = 0xffff_0100;

/**
 * The pending firmware update in the same record store: one record, written
 * in one commit, so a power cut leaves it there or not, never half.
 */
export function pendingUpdateStore(store: RecordStore, log: Logger): PendingUpdateStore {
  return {
    load(): PendingUpdate | undefined {
      const b = store.get(PENDING_UPDATE_KEY);
      if (!b) return undefined;
      const parts = utf8Decode(b).split('\n');
      // 'v1': an Update under way; 'd1': a download under way.
      if (parts.length !== 4 || (parts[0] !== 'v1' && parts[0] !== 'd1')) {
        log.error('store: pending firmware update record damaged; ignored');
        return undefined;
      }
      const p: PendingUpdate = { version: parts[1]!, name: parts[2]!, from: parts[3]! };
      return parts[0] === 'd1' ? { ...p, downloading: true } : p;
    },
    save(p: PendingUpdate | undefined): boolean {
      const value = p
        ? utf8Encode([p.downloading ? 'd1' : 'v1', p.version, p.name, p.from].map((s) => s.replace(/\n/g, ' ')).join('\n'))
        : null;
      return putRecord(store, PENDING_UPDATE_KEY, value, 'pending firmware update', log);
    },
  };
}

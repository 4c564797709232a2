// Access Control (Core §7.3.3, Object 2 in Appendix E.3). With a single
// LwM2M Server Account no checks are made (the spec's single-server rule);
// with several, each operation needs its bit in the ACL of the target's
// Access Control instance.
import type { Value } from '../../model/types';
import { OBJ, SRV } from '../engine/ids';
import { asNumber, isMultiple, type ObjectTree } from '../objects/object-tree';

/** ACL bits of /2/x/2 (Core §E.3). R also covers Observe, Discover and Write-Attributes. */
export const ACL = Object.freeze({ READ: 1, WRITE: 2, EXECUTE: 4, DELETE: 8, CREATE: 16 } as const);
/** Rights of an instance's Access Control Owner that has no ACL entry: everything except Create. */
const OWNER_RIGHTS = ACL.READ | ACL.WRITE | ACL.EXECUTE | ACL.DELETE;
/** Object Instance ID of the ACL instance that carries Create rights for a whole object. */
export const ACL_CREATE_INSTANCE = 65535;

const ACO = Object.freeze({ OBJECT_ID: 0, INSTANCE_ID: 1, ACL: 2, OWNER: 3 } as const);

/** The single-server rule: checks apply only with more than one LwM2M Server Account. */
export function aclEnforced(tree: ObjectTree): boolean {
  // Asked on every request: counts the instances without listing them.
  return (tree.instances(OBJ.SERVER)?.size ?? 0) > 1;
}

/** The Access Control instance id that governs /oid/iid, or undefined. */
export function findAclInstance(tree: ObjectTree, oid: number, iid: number): number | undefined {
  for (const a of tree.instanceIds(OBJ.ACCESS_CONTROL)) {
    if (
      asNumber(tree.value(OBJ.ACCESS_CONTROL, a, ACO.OBJECT_ID)) === oid &&
      asNumber(tree.value(OBJ.ACCESS_CONTROL, a, ACO.INSTANCE_ID)) === iid
    )
      return a;
  }
  return undefined;
}

/** Rights of `ssid` on /oid/iid (a bit set of ACL.*); all bits when checks do not apply. */
export function rightsOn(tree: ObjectTree, ssid: number, oid: number, iid: number): number {
  if (!aclEnforced(tree)) return 31;
  if (oid === OBJ.ACCESS_CONTROL) {
    // ACL instances are readable by all servers, managed only by their owner.
    const owner = asNumber(tree.value(OBJ.ACCESS_CONTROL, iid, ACO.OWNER));
    return owner === ssid ? ACL.READ | ACL.WRITE : ACL.READ;
  }
  if (oid === OBJ.SERVER && asNumber(tree.value(OBJ.SERVER, iid, SRV.SHORT_SERVER_ID)) === ssid) {
    // A server always manages its own Server instance.
    return ACL.READ | ACL.WRITE | ACL.EXECUTE;
  }
  const a = findAclInstance(tree, oid, iid);
  if (a === undefined) return 0;
  const acl = tree.get(OBJ.ACCESS_CONTROL, a, ACO.ACL);
  const entries: Map<number, Value> = isMultiple(acl) ? acl : new Map();
  const mine = asNumber(entries.get(ssid));
  if (mine !== undefined) return mine;
  if (asNumber(tree.value(OBJ.ACCESS_CONTROL, a, ACO.OWNER)) === ssid) return OWNER_RIGHTS;
  return asNumber(entries.get(0)) ?? 0;
}

/** Create on /oid: the C bit in the ACL instance for (oid, 65535). */
export function mayCreate(tree: ObjectTree, ssid: number, oid: number): boolean {
  if (!aclEnforced(tree)) return true;
  return (rightsOn(tree, ssid, oid, ACL_CREATE_INSTANCE) & ACL.CREATE) !== 0;
}

/**
 * After a Create by `ssid` with checks on: the new instance gets its own
 * Access Control instance owned by the creator (Core §7.3.3). Returns false
 * when /2 is full (the caller then undoes the Create).
 */
export function createAclFor(tree: ObjectTree, ssid: number, oid: number, iid: number, maxInstances: number): boolean {
  if (!aclEnforced(tree) || oid === OBJ.ACCESS_CONTROL) return true;
  const ids = tree.instanceIds(OBJ.ACCESS_CONTROL);
  if (ids.length >= maxInstances) return false;
  let a = 0;
  while (ids.includes(a)) a++;
  tree.set(OBJ.ACCESS_CONTROL, a, ACO.OBJECT_ID, oid);
  tree.set(OBJ.ACCESS_CONTROL, a, ACO.INSTANCE_ID, iid);
  tree.set(OBJ.ACCESS_CONTROL, a, ACO.ACL, new Map());
  tree.set(OBJ.ACCESS_CONTROL, a, ACO.OWNER, ssid);
  return true;
}

/** After a Delete: the Access Control instance of the deleted instance goes too. */
export function deleteAclFor(tree: ObjectTree, oid: number, iid: number): void {
  const a = findAclInstance(tree, oid, iid);
  if (a !== undefined) tree.deleteInstance(OBJ.ACCESS_CONTROL, a);
}

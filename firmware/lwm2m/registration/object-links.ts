// The Register and Update payload (Core §6.2.1, Transport §6.2.1): the root
// link with the client's content formats, then each object (with its version
// when not 1.0, or when it has no instance) and each instance; never the
// Security object.
import { encodeLinkFormat, FORMAT_ENTRIES, type Link } from '../../formats/index';
import { OBJ } from '../engine/ids';
import type { ObjectRegistry } from '../objects/object-registry';
import type { ObjectTree } from '../objects/object-tree';

/** `ct` on the root link: every format of the registry. */
const SUPPORTED_FORMATS = FORMAT_ENTRIES.map((e) => e.id).join(' ');

export function objectLinks(objects: ObjectRegistry, tree: ObjectTree): string {
  const links: Link[] = [
    {
      target: '/',
      attrs: [
        ['rt', 'oma.lwm2m'],
        ['ct', SUPPORTED_FORMATS],
      ],
    },
  ];
  for (const oid of [...objects.supported].sort((a, b) => a - b)) {
    if (oid === OBJ.SECURITY) continue;
    const version = objects.def(oid)?.version ?? '1.0';
    const iids = tree.instanceIds(oid);
    if (version !== '1.0' || iids.length === 0) links.push({ target: `/${oid}`, attrs: version !== '1.0' ? [['ver', version]] : [] });
    for (const iid of iids) links.push({ target: `/${oid}/${iid}`, attrs: [] });
  }
  return encodeLinkFormat(links);
}

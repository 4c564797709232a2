// The console's Security view over the LwM2M Server's pre-shared keys: which
// endpoint must register over coaps with which PSK identity, added and removed
// at run time. Keys go in (as hex) and never come out: answers carry
// identities only. An endpoint given a PSK must register over coaps from then
// on; its current registration stays until it ends.
import type { PskStore } from '../psk-store';
import { ApiError, field, type Json } from './http';
import type { EventStream } from './event-stream';
import type { PskEntryJson } from './api-types';

export class SecurityApi {
  constructor(
    private readonly psk: PskStore,
    private readonly stream: EventStream,
  ) {}

  async handle(method: string, parts: string[], body: () => Promise<Json>): Promise<unknown> {
    const [area, ep, ...more] = parts;
    if (area !== 'security' || more.length) return undefined;
    if (ep === undefined) {
      if (method !== 'GET') throw new ApiError(405, 'the list of PSKs is read with GET; PUT or DELETE /api/security/<endpoint>');
      return this.list();
    }
    if (method === 'PUT') {
      const b = await body();
      const identity = field(b, 'identity', 'string') as string;
      const keyHex = field(b, 'keyHex', 'string') as string;
      if (!/^[\x21-\x7e][\x20-\x7e]{0,127}$/.test(ep)) throw new ApiError(400, 'the endpoint name must be 1 to 128 printable characters');
      if (identity.length === 0 || identity.length > 128) throw new ApiError(400, '"identity" must be 1 to 128 characters');
      // RFC 4279 keys of at least 128 bits (the rule --psk-file and the Bootstrap-Server follow), at most 64 bytes.
      if (!/^([0-9a-fA-F]{2}){16,64}$/.test(keyHex)) throw new ApiError(400, '"keyHex" must be 16 to 64 bytes as hex digits');
      const owner = this.psk.list().find((e) => e.identity === identity && e.endpoint !== ep);
      if (owner) throw new ApiError(409, `PSK identity ${JSON.stringify(identity)} already belongs to ${owner.endpoint}`);
      this.psk.setJson(ep, { identity, keyHex });
      this.changed();
      return { endpoint: ep, identity };
    }
    if (method === 'DELETE') {
      if (!this.psk.delete(ep)) throw new ApiError(404, `${ep} has no PSK here`);
      this.changed();
      return { deleted: ep };
    }
    if (method === 'GET') {
      const e = this.psk.forEndpoint(ep);
      if (!e) throw new ApiError(404, `${ep} has no PSK here`);
      return { endpoint: ep, identity: e.identity };
    }
    throw new ApiError(405, `${method} is not for /api/security/<endpoint>: GET, PUT or DELETE`);
  }

  private list(): PskEntryJson[] {
    return this.psk.list();
  }

  private changed(): void {
    this.stream.publish('security', this.list());
  }
}

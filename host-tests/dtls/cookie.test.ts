// HelloVerifyRequest cookies (RFC 6347 §4.2.1): bound to the peer and the
// hello, and made with a secret that changes every lifetime; a cookie of the
// previous secret is still good, one older than that is refused.
import assert from 'node:assert/strict';
import { COOKIE_LENGTH, CookieJar } from '../../firmware/dtls/cookie';
import type { ClientHello } from '../../firmware/dtls/handshake-messages';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { SeededRandom } from '../support/seeded-random';

const LIFETIME = 300_000;

function hello(cookie: Uint8Array = new Uint8Array(0), randomByte = 1): ClientHello {
  return {
    clientVersion: 0xfefd,
    random: new Uint8Array(32).fill(randomByte),
    sessionId: new Uint8Array(0),
    cookie,
    cipherSuites: [0xc0a8],
    compressionMethods: Uint8Array.of(0),
    extensions: [],
  };
}

describe('dtls HelloVerifyRequest cookies', () => {
  let t = 0;
  const clock = { now: () => t };
  beforeEach(() => {
    t = 0;
  });

  it('a cookie opens a handshake only for the peer and the hello it was made for', () => {
    const jar = new CookieJar(nodeCrypto, new SeededRandom(1), clock, LIFETIME);
    const c = jar.make('10.0.0.1', 5684, hello());
    assert.equal(c.length, COOKIE_LENGTH);
    assert.equal(jar.verify('10.0.0.1', 5684, hello(c)), true);
    assert.equal(jar.verify('10.0.0.2', 5684, hello(c)), false, 'another address');
    assert.equal(jar.verify('10.0.0.1', 5685, hello(c)), false, 'another port');
    assert.equal(jar.verify('10.0.0.1', 5684, hello(c, 2)), false, 'another ClientHello.random');
    assert.equal(jar.verify('10.0.0.1', 5684, hello(c.subarray(0, 8))), false, 'a short cookie');
  });

  it('the secret changes every lifetime: a cookie of the previous secret is accepted, an older one is not', () => {
    const jar = new CookieJar(nodeCrypto, new SeededRandom(2), clock, LIFETIME);
    const old = jar.make('10.0.0.1', 5684, hello());
    t = LIFETIME - 1;
    assert.equal(jar.verify('10.0.0.1', 5684, hello(old)), true, 'within its lifetime');
    t = LIFETIME + 1; // first change: `old` is the previous secret's
    const fresh = jar.make('10.0.0.1', 5684, hello());
    assert.notDeepEqual([...fresh], [...old], 'a new secret makes other cookies');
    assert.equal(jar.verify('10.0.0.1', 5684, hello(old)), true, 'a client caught between its two hellos');
    t = 2 * LIFETIME + 2; // second change
    assert.equal(jar.verify('10.0.0.1', 5684, hello(old)), false, 'two secrets ago: a replayed cookie stops working');
    assert.equal(jar.verify('10.0.0.1', 5684, hello(fresh)), true);
    assert.equal(jar.verify('10.0.0.1', 5684, hello(jar.make('10.0.0.1', 5684, hello()))), true);
  });

  it('after two lifetimes without a hello, neither old secret is kept', () => {
    const jar = new CookieJar(nodeCrypto, new SeededRandom(3), clock, LIFETIME);
    const old = jar.make('10.0.0.1', 5684, hello());
    t = 2 * LIFETIME;
    assert.equal(jar.verify('10.0.0.1', 5684, hello(old)), false);
  });
});

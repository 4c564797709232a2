import assert from 'node:assert/strict';
import { Code, OptionNumber, Type, codeString, decodeMessage, encodeMessage, type CoapMessage } from '../../firmware/coap/message';
import {
  decodeBlock,
  decodeUint,
  encodeBlock,
  encodeUint,
  firstBadCriticalOption,
  getBlock,
  getContentFormat,
  getObserve,
  getUriPath,
  getUriQuery,
  stringOption,
  uintOption,
} from '../../firmware/coap/options';
import { isFreshNotification } from '../../firmware/coap/observe';
import { DEFAULT_PARAMS, exchangeLifetime, maxTransmitWait, nonLifetime } from '../../firmware/coap/params';
import { SeededRandom } from '../support/seeded-random';

const b = (hex: string): Uint8Array =>
  new Uint8Array(
    hex
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((x) => parseInt(x, 16)),
  );
const hex = (u: Uint8Array): string => Array.from(u, (x) => x.toString(16).padStart(2, '0')).join('');

function msg(p: Partial<CoapMessage>): CoapMessage {
  return { type: Type.CON, code: Code.GET, messageId: 0x1234, token: new Uint8Array(0), options: [], payload: new Uint8Array(0), ...p };
}

function decodeOk(u: Uint8Array): CoapMessage {
  const d = decodeMessage(u);
  if (!d.ok) throw new Error(d.error);
  return d.message;
}

describe('coap codec', () => {
  it('codeString formats class.detail', () => {
    assert.equal(codeString(Code.CONTENT), '2.05');
    assert.equal(codeString(Code.CONTINUE), '2.31');
    assert.equal(codeString(Code.BAD_OPTION), '4.02');
    assert.equal(codeString(Code.GATEWAY_TIMEOUT), '5.04');
    assert.equal(codeString(Code.GET), '0.01');
  });

  it('encodes the RFC 7252 Appendix A GET /temperature exchange byte for byte', () => {
    // CON [0x7d34] GET /temperature, then ACK [0x7d34] 2.05 "22.3 C".
    const req = msg({ messageId: 0x7d34, options: [stringOption(OptionNumber.URI_PATH, 'temperature')] });
    assert.equal(hex(encodeMessage(req)), '40017d34bb74656d7065726174757265');
    const res = msg({ type: Type.ACK, code: Code.CONTENT, messageId: 0x7d34, payload: b('32322e332043') });
    assert.equal(hex(encodeMessage(res)), '60457d34ff32322e332043');
    const d = decodeOk(b('40017d34bb74656d7065726174757265'));
    assert.deepEqual(getUriPath(d), ['temperature']);
    assert.equal(d.messageId, 0x7d34);
  });

  it('round-trips every header field and tokens of 0 to 8 bytes', () => {
    for (let tkl = 0; tkl <= 8; tkl++) {
      for (const type of [Type.CON, Type.NON, Type.ACK]) {
        const token = new Uint8Array(tkl).map((_, i) => 0xa0 + i);
        const m = msg({ type, code: type === Type.ACK ? Code.CHANGED : Code.POST, messageId: 0xfffe - tkl, token, payload: b('0102') });
        const d = decodeOk(encodeMessage(m));
        assert.equal(d.type, type);
        assert.equal(d.code, m.code);
        assert.equal(d.messageId, m.messageId);
        assert.equal(hex(d.token), hex(token));
        assert.equal(hex(d.payload), '0102');
      }
    }
  });

  it('uses the 13 and 14 extended forms for option delta and length', () => {
    const cases: [number, number][] = [
      [12, 12],
      [13, 13],
      [268, 268],
      [269, 269],
      [1000, 1034],
      [65000, 300],
    ];
    for (const [num, len] of cases) {
      const value = new Uint8Array(len).fill(0x61);
      const m = msg({ options: [{ number: num, value }] });
      const e = encodeMessage(m);
      const d = decodeOk(e);
      assert.equal(d.options.length, 1);
      assert.equal(d.options[0].number, num);
      assert.equal(d.options[0].value.length, len);
    }
    // delta 13 with 1 extension byte, length 14 with 2 extension bytes
    const e = encodeMessage(msg({ options: [{ number: 20, value: new Uint8Array(300) }] }));
    assert.equal(e[4], 0xde);
    assert.equal(e[5], 20 - 13);
    assert.equal((e[6] << 8) | e[7], 300 - 269);
  });

  it('keeps repeated options in order and sorts mixed options stably', () => {
    const m = msg({
      options: [
        stringOption(OptionNumber.URI_QUERY, 'ep=a'),
        stringOption(OptionNumber.URI_PATH, 'rd'),
        stringOption(OptionNumber.URI_QUERY, 'lt=300'),
        uintOption(OptionNumber.CONTENT_FORMAT, 40),
        stringOption(OptionNumber.URI_PATH, 'x'),
      ],
    });
    const d = decodeOk(encodeMessage(m));
    assert.deepEqual(
      d.options.map((o) => o.number),
      [11, 11, 12, 15, 15],
    );
    assert.deepEqual(getUriPath(d), ['rd', 'x']);
    assert.deepEqual(getUriQuery(d), ['ep=a', 'lt=300']);
    assert.equal(getContentFormat(d), 40);
  });

  it('writes a payload marker only when there is a payload', () => {
    assert.equal(encodeMessage(msg({})).length, 4);
    const e = encodeMessage(msg({ payload: b('aa') }));
    assert.equal(hex(e.subarray(4)), 'ffaa');
  });

  describe('reject rules (RFC 7252 §3, §4.1, §4.2)', () => {
    const cases: [string, string, boolean][] = [
      // [name, bytes, header recovered]
      ['shorter than the header', '4001', false],
      ['version 0', '00017d34', false],
      ['version 2', '80017d34', false],
      ['version 3', 'c0017d34', false],
      ['TKL 9', '49017d34' + '00'.repeat(9), true],
      ['TKL 15', '4f017d34' + '00'.repeat(15), true],
      ['truncated token', '44017d340102', true],
      ['payload marker with empty payload', '40017d34ff', true],
      ['option delta nibble 15', '40017d34f1', true],
      ['option length nibble 15', '40017d341f', true],
      ['truncated option value', '40017d34b374', true],
      ['truncated extended delta', '40017d34d0', true],
      ['truncated extended length', '40017d340e01', true],
      ['reserved class 1', '40207d34', true],
      ['reserved class 6', '40c07d34', true],
      ['reserved class 7', '40e07d34', true],
      ['Empty with a token', '61007d34aa', true],
      ['Empty with an option', '60007d34b0', true],
      ['Empty with a payload', '70007d34ff01', true],
      ['Empty NON', '50007d34', true],
      ['RST that is not Empty', '70457d34', true],
      ['ACK carrying a request', '60017d34', true],
      ['option number above 65535', '40017d34e0ffff' + 'e0ffff', true],
    ];
    for (const [name, bytes, recovered] of cases) {
      it(`rejects ${name}`, () => {
        const d = decodeMessage(b(bytes));
        assert.equal(d.ok, false);
        if (d.ok) return;
        assert.equal(typeof d.error, 'string');
        if (recovered) assert.equal(d.messageId, 0x7d34);
        else assert.equal(d.messageId, undefined);
      });
    }
    it('accepts an Empty CON (ping), ACK and RST', () => {
      for (const t of ['40007d34', '60007d34', '70007d34']) assert.equal(decodeMessage(b(t)).ok, true);
    });
  });

  it('encodes uint options with minimal length', () => {
    assert.equal(encodeUint(0).length, 0);
    assert.equal(hex(encodeUint(1)), '01');
    assert.equal(hex(encodeUint(255)), 'ff');
    assert.equal(hex(encodeUint(256)), '0100');
    assert.equal(hex(encodeUint(0x10000)), '010000');
    assert.equal(hex(encodeUint(0xffffffff)), 'ffffffff');
    assert.equal(decodeUint(b('010000')), 0x10000);
    assert.equal(decodeUint(b('0102030405')), undefined);
  });

  it('encodes Block values as in RFC 7959 (2:0/1/128 = 0x0b, 2:1/1/128 = 0x1b)', () => {
    assert.equal(hex(encodeBlock(0, true, 3)), '0b');
    assert.equal(hex(encodeBlock(1, true, 3)), '1b');
    assert.equal(hex(encodeBlock(2, false, 3)), '23');
    assert.equal(encodeBlock(0, false, 0).length, 0);
    assert.deepEqual(decodeBlock(encodeBlock(0xfffff, true, 6)), { num: 0xfffff, more: true, szx: 6, size: 1024 });
    assert.equal(decodeBlock(b('01020304')), null);
    const withSzx7 = decodeOk(encodeMessage(msg({ options: [{ number: OptionNumber.BLOCK2, value: b('07') }] })));
    assert.equal(getBlock(withSzx7, OptionNumber.BLOCK2), null);
    assert.equal(getBlock(withSzx7, OptionNumber.BLOCK1), undefined);
  });

  it('reads Observe as a 24-bit value', () => {
    const d = decodeOk(encodeMessage(msg({ options: [uintOption(OptionNumber.OBSERVE, 0xffffff)] })));
    assert.equal(getObserve(d), 0xffffff);
    const long = decodeOk(encodeMessage(msg({ options: [{ number: OptionNumber.OBSERVE, value: b('01000000') }] })));
    assert.equal(getObserve(long), undefined);
  });

  it('finds unrecognised, malformed and repeated critical options (§5.4)', () => {
    const ok = msg({ options: [stringOption(11, 'a'), stringOption(11, 'b'), { number: 2048, value: b('00') }] });
    assert.equal(firstBadCriticalOption(ok), -1); // 2048 is elective (even)
    assert.equal(firstBadCriticalOption(msg({ options: [{ number: 9, value: b('00') }] })), 9);
    assert.equal(firstBadCriticalOption(msg({ options: [{ number: OptionNumber.BLOCK2, value: b('01020304') }] })), 23);
    assert.equal(firstBadCriticalOption(msg({ options: [uintOption(7, 1), uintOption(7, 2)] })), 7);
    assert.equal(firstBadCriticalOption(msg({ options: [{ number: OptionNumber.IF_NONE_MATCH, value: b('00') }] })), 5);
  });

  it('applies the RFC 7641 §3.4 freshness rule', () => {
    assert.equal(isFreshNotification(5, 0, 6, 1), true);
    assert.equal(isFreshNotification(6, 0, 5, 1), false);
    assert.equal(isFreshNotification(0xfffffe, 0, 1, 1), true); // wrap-around
    assert.equal(isFreshNotification(1, 0, 0xfffffe, 1), false);
    assert.equal(isFreshNotification(6, 0, 5, 128_001), true); // 128 s later anything is fresh
  });

  it('derives EXCHANGE_LIFETIME 247 s, MAX_TRANSMIT_WAIT 93 s, NON_LIFETIME 145 s', () => {
    assert.equal(exchangeLifetime(DEFAULT_PARAMS), 247_000);
    assert.equal(maxTransmitWait(DEFAULT_PARAMS), 93_000);
    assert.equal(nonLifetime(DEFAULT_PARAMS), 145_000);
  });

  it('never throws on thousands of seeded mutations and truncations of valid messages', () => {
    const rnd = new SeededRandom(7252);
    const seeds: Uint8Array[] = [
      encodeMessage(
        msg({
          token: b('0102030405060708'),
          options: [stringOption(11, 'rd'), stringOption(15, 'ep=x'), uintOption(27, 0x0e)],
          payload: new Uint8Array(40),
        }),
      ),
      encodeMessage(
        msg({
          type: Type.ACK,
          code: Code.CONTENT,
          options: [uintOption(6, 77), uintOption(12, 11542), { number: 300, value: new Uint8Array(280) }],
          payload: b('01'),
        }),
      ),
      b('40017d34bb74656d7065726174757265'),
      b('60007d34'),
    ];
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const src = seeds[rnd.int(seeds.length)];
      let m = src.slice();
      const kind = rnd.int(4);
      if (kind === 0) m = m.subarray(0, rnd.int(m.length + 1));
      else if (kind === 1) for (let k = 0; k <= rnd.int(4); k++) m[rnd.int(m.length)] = rnd.int(256);
      else if (kind === 2) m[rnd.int(m.length)] ^= 1 << rnd.int(8);
      else {
        const extra = rnd.bytes(rnd.int(8));
        const n = new Uint8Array(m.length + extra.length);
        n.set(m);
        n.set(extra, m.length);
        m = n;
      }
      const d = decodeMessage(m);
      if (d.ok) {
        ok++;
        // whatever decodes must re-encode to something that decodes the same
        const again = decodeOk(encodeMessage(d.message));
        assert.equal(again.code, d.message.code);
        assert.equal(again.options.length, d.message.options.length);
        assert.equal(hex(again.payload), hex(d.message.payload));
      }
    }
    assert.ok(ok > 100 && ok < 5000, `some mutations decode (${ok})`);
  });
});

// Frame header, size hint and TLV vectors recorded from the reference
// implementation, plus the TLV byte-order disagreement with the spec text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CodecError } from '../../src/codec/errors.js';
import { decodeFrameHeader, frameBytesMissing } from '../../src/codec/frame.js';
import { Reader } from '../../src/codec/reader.js';
import { readTlv, readTlvList, tlvSize, writeTlv } from '../../src/codec/tlv.js';
import { Writer } from '../../src/codec/writer.js';
import { decodePayload, encodePayload, USER_IDENTITY_TLV, type Message } from '../../src/messages/index.js';
import { vectorPath } from '../helpers/paths.js';

interface TlvCase {
  extension_type?: string;
  field_type?: string;
  value_ascii?: string;
  encoded_hex?: string;
  decode_input_hex?: string;
  expected_error?: string;
}
interface Vec {
  name: string;
  header_hex?: string;
  input_hex?: string;
  expected?: Record<string, string>;
  expected_size_hint?: number;
  cases?: TlvCase[];
  spec_example_bytes_hex?: string;
  sri_encoding_hex?: string;
}

const vectors = (
  JSON.parse(readFileSync(vectorPath('extracted', 'sv2', 'framing_and_tlv.json'), 'utf8')) as {
    vectors: Vec[];
  }
).vectors;
const byName = (n: string) => vectors.find((v) => v.name === n)!;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('frame header decode', () => {
  const v = byName('frame_header_decode');
  const h = decodeFrameHeader(hex(v.header_hex!));
  assert.equal(h.extension_type, Number(v.expected!.extension_type));
  assert.equal(h.msg_type, Number(v.expected!.msg_type));
  assert.equal(h.msg_length, Number(v.expected!.msg_length));
  assert.equal(h.channel_msg, false);
});

test('bytes missing from a frame whose header alone has arrived', () => {
  const v = byName('frame_size_hint');
  const bytes = hex(v.input_hex!);
  assert.equal(frameBytesMissing(bytes), v.expected_size_hint);
  assert.equal(decodeFrameHeader(bytes).channel_msg, true);
  // Partial headers ask for the rest of the header; a complete frame needs nothing.
  assert.equal(frameBytesMissing(bytes.subarray(0, 2)), 4);
  const whole = new Uint8Array(bytes.length + v.expected_size_hint!);
  whole.set(bytes);
  assert.equal(frameBytesMissing(whole), 0);
});

const tlvCases = byName('tlv_encode_user_identity').cases!;

for (const c of tlvCases.filter((x) => x.encoded_hex !== undefined)) {
  test(`TLV ${c.value_ascii} encodes and decodes little-endian`, () => {
    const tlv = {
      extension_type: Number(c.extension_type),
      field_type: Number(c.field_type),
      value: new TextEncoder().encode(c.value_ascii),
    };
    const out = new Uint8Array(tlvSize(tlv));
    writeTlv(new Writer(out), tlv);
    assert.equal(toHex(out), c.encoded_hex);
    assert.deepStrictEqual(readTlv(new Reader(hex(c.encoded_hex!))), tlv);
  });

  test(`TLV ${c.value_ascii} appended to SubmitSharesExtended is its user_identity`, () => {
    const base: Message = {
      type: 'SubmitSharesExtended',
      channel_id: 1,
      sequence_number: 2,
      job_id: 3,
      nonce: 4,
      ntime: 5,
      version: 6,
      extranonce: new Uint8Array(4),
    };
    const plain = encodePayload(base);
    const withTlv = encodePayload({ ...base, user_identity: c.value_ascii! });
    assert.equal(toHex(withTlv), toHex(plain) + c.encoded_hex);
    assert.equal(Number(c.extension_type), USER_IDENTITY_TLV.extension_type);
    const r = decodePayload({ extension_type: 0, msg_type: 0x1b }, withTlv);
    assert.ok(r.ok);
    assert.equal((r.message as { user_identity?: string }).user_identity, c.value_ascii);
  });
}

for (const c of tlvCases.filter((x) => x.decode_input_hex !== undefined)) {
  test(`TLV ${c.decode_input_hex} is refused (${c.expected_error})`, () => {
    assert.throws(
      () => readTlvList(new Reader(hex(c.decode_input_hex!))),
      (e: unknown) => e instanceof CodecError && e.code === 'truncated',
    );
  });
}

test('TLV byte order: the reference encoding is read, the spec example (big-endian) is not', () => {
  const v = byName('tlv_byte_order_discrepancy');
  const [sri] = readTlvList(new Reader(hex(v.sri_encoding_hex!)));
  assert.equal(sri!.extension_type, USER_IDENTITY_TLV.extension_type);
  assert.equal(sri!.field_type, USER_IDENTITY_TLV.field_type);
  // Read little-endian, the spec's bytes claim extension 0x0200 and a 2560-byte value.
  assert.throws(
    () => readTlvList(new Reader(hex(v.spec_example_bytes_hex!))),
    (e: unknown) => e instanceof CodecError,
  );
});

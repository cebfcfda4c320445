// Every message survives encode → decode unchanged, field by field, for
// seeded random values and for all-minimum and all-maximum lengths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrameHeader, FRAME_HEADER_SIZE, MAX_PAYLOAD_LENGTH } from '../../src/codec/frame.js';
import { CodecError } from '../../src/codec/errors.js';
import {
  ALL_MESSAGES,
  decodeFrame,
  decodePayload,
  encodeFrame,
  encodePayload,
  type Message,
} from '../../src/messages/index.js';
import { randomMessage, Rng, type Mode } from './random-values.js';

function roundTrip(m: Record<string, unknown>): void {
  const msg = m as unknown as Message;
  const frame = encodeFrame(msg);
  const payload = encodePayload(msg);
  assert.deepEqual(frame.subarray(FRAME_HEADER_SIZE), payload);
  const header = decodeFrameHeader(frame);
  assert.equal(header.msg_length, payload.length);
  const r = decodeFrame(frame);
  if (!r.ok) assert.fail(`${m.type}: ${r.error.message}`);
  assert.deepStrictEqual(r.message, m);
  assert.equal(r.tlvs.length, 0);
  const again = decodePayload(header, payload);
  assert.ok(again.ok);
  assert.deepStrictEqual(again.message, m);
}

test('every message has a schema with a unique name and wire type', () => {
  assert.equal(ALL_MESSAGES.length, 5 + 21 + 8 + 7 + 3);
});

for (const schema of ALL_MESSAGES) {
  test(`${schema.name} round-trips random values`, () => {
    const rng = new Rng(0x5eed0000 + schema.msg_type + schema.extension_type * 256);
    for (let i = 0; i < 150; i++) roundTrip(randomMessage(rng, schema, 'random'));
  });

  for (const mode of ['min', 'max'] as Mode[]) {
    test(`${schema.name} round-trips with every length at its ${mode}imum`, () => {
      const m = randomMessage(new Rng(7 + schema.msg_type), schema, mode);
      roundTrip(m);
    });
  }
}

test('frame header carries the schema extension_type, msg_type and channel_msg bit', () => {
  const rng = new Rng(42);
  for (const schema of ALL_MESSAGES) {
    const h = decodeFrameHeader(encodeFrame(randomMessage(rng, schema, 'random') as unknown as Message));
    assert.deepEqual(
      [h.extension_type, h.msg_type, h.channel_msg],
      [schema.extension_type, schema.msg_type, schema.channel_msg],
      schema.name,
    );
  }
});

test('a B0_16M transaction as large as one payload allows round-trips; one byte more does not encode', () => {
  // request_id (4) + SEQ0_64K count (2) + B0_16M length (3) leave this much for the transaction.
  const largest = MAX_PAYLOAD_LENGTH - 4 - 2 - 3;
  const tx = new Rng(9).bytes(largest + 1);
  const msg: Message = {
    type: 'ProvideMissingTransactionsSuccess',
    request_id: 1,
    transaction_list: [tx.subarray(0, largest)],
  };
  roundTrip(msg as unknown as Record<string, unknown>);
  assert.throws(
    () => encodePayload({ ...msg, transaction_list: [tx] }),
    (e: unknown) => e instanceof CodecError && e.code === 'out-of-bounds',
  );
});

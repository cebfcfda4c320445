// How decoding treats what is not a plain known message: unknown types
// (spec 3.4), TLVs (3.4.3, extension 0x0002), channel_msg bits, lengths that
// disagree with the frame, BOOL padding; and how encoding refuses bad values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError } from '../../src/codec/errors.js';
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import {
  ALL_MESSAGES,
  decodeFrame,
  decodePayload,
  encodeFrame,
  encodePayload,
  MSG_TYPE,
  type DecodeResult,
  type Message,
} from '../../src/messages/index.js';

const share: Message = {
  type: 'SubmitSharesExtended',
  channel_id: 9,
  sequence_number: 1,
  job_id: 2,
  nonce: 3,
  ntime: 4,
  version: 5,
  extranonce: Uint8Array.of(1, 2, 3, 4),
};

function frameOf(
  extension_type: number,
  channel_msg: boolean,
  msg_type: number,
  payload: Uint8Array,
): Uint8Array {
  const f = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  encodeFrameHeader({ extension_type, channel_msg, msg_type, msg_length: payload.length }, f);
  f.set(payload, FRAME_HEADER_SIZE);
  return f;
}

function failure(r: DecodeResult) {
  assert.equal(r.ok, false);
  return r as Extract<DecodeResult, { ok: false }>;
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const tlv = (ext: number, field: number, value: Uint8Array) =>
  concat(Uint8Array.of(ext & 0xff, ext >> 8, field, value.length & 0xff, value.length >> 8), value);

test('message types and channel_msg bits follow spec section 8 and extension 0x0001', () => {
  // [msg_type, channel_msg, spec name] straight from the spec tables.
  const table: [number, 0 | 1, string][] = [
    [0x00, 0, 'SetupConnection'],
    [0x01, 0, 'SetupConnection.Success'],
    [0x02, 0, 'SetupConnection.Error'],
    [0x03, 1, 'ChannelEndpointChanged'],
    [0x04, 0, 'Reconnect'],
    [0x10, 0, 'OpenStandardMiningChannel'],
    [0x11, 0, 'OpenStandardMiningChannel.Success'],
    [0x12, 0, 'OpenMiningChannel.Error'],
    [0x13, 0, 'OpenExtendedMiningChannel'],
    [0x14, 0, 'OpenExtendedMiningChannel.Success'],
    [0x15, 1, 'NewMiningJob'],
    [0x16, 1, 'UpdateChannel'],
    [0x17, 1, 'UpdateChannel.Error'],
    [0x18, 1, 'CloseChannel'],
    [0x19, 1, 'SetExtranoncePrefix'],
    [0x1a, 1, 'SubmitSharesStandard'],
    [0x1b, 1, 'SubmitSharesExtended'],
    [0x1c, 1, 'SubmitShares.Success'],
    [0x1d, 1, 'SubmitShares.Error'],
    [0x1f, 1, 'NewExtendedMiningJob'],
    [0x20, 1, 'SetNewPrevHash'],
    [0x21, 1, 'SetTarget'],
    [0x22, 1, 'SetCustomMiningJob'],
    [0x23, 1, 'SetCustomMiningJob.Success'],
    [0x24, 1, 'SetCustomMiningJob.Error'],
    [0x25, 0, 'SetGroupChannel'],
    [0x50, 0, 'AllocateMiningJobToken'],
    [0x51, 0, 'AllocateMiningJobToken.Success'],
    [0x55, 0, 'ProvideMissingTransactions'],
    [0x56, 0, 'ProvideMissingTransactions.Success'],
    [0x57, 0, 'DeclareMiningJob'],
    [0x58, 0, 'DeclareMiningJob.Success'],
    [0x59, 0, 'DeclareMiningJob.Error'],
    [0x60, 0, 'PushSolution'],
    [0x70, 0, 'CoinbaseOutputConstraints'],
    [0x71, 0, 'NewTemplate'],
    [0x72, 0, 'SetNewPrevHash'],
    [0x73, 0, 'RequestTransactionData'],
    [0x74, 0, 'RequestTransactionData.Success'],
    [0x75, 0, 'RequestTransactionData.Error'],
    [0x76, 0, 'SubmitSolution'],
  ];
  const core = ALL_MESSAGES.filter((s) => s.extension_type === 0);
  assert.deepEqual(
    core
      .map((s) => [s.msg_type, s.channel_msg ? 1 : 0, s.spec_name])
      .sort((a, b) => (a[0] as number) - (b[0] as number)),
    table,
  );
  const ext = ALL_MESSAGES.filter((s) => s.extension_type === 1).map((s) => [
    s.msg_type,
    s.channel_msg,
    s.spec_name,
  ]);
  assert.deepEqual(ext, [
    [0x00, false, 'RequestExtensions'],
    [0x01, false, 'RequestExtensions.Success'],
    [0x02, false, 'RequestExtensions.Error'],
  ]);
  assert.equal(MSG_TYPE.SetNewPrevHashTdp, 0x72);
});

test('unknown extension: channel messages are forwarded with their channel_id, others discarded', () => {
  const payload = Uint8Array.of(0x2a, 0, 0, 0, 0xee);
  const fwd = failure(decodeFrame(frameOf(0x4abc, true, 0x01, payload)));
  assert.equal(fwd.error.code, 'unknown-extension');
  assert.equal(fwd.disposition, 'forward');
  assert.equal(fwd.error.channel_id, 0x2a);
  const local = failure(decodeFrame(frameOf(0x4abc, false, 0x01, payload)));
  assert.equal(local.disposition, 'discard');
  // Extension 0x0002 only adds a TLV: frames claiming it are unknown too.
  assert.equal(failure(decodeFrame(frameOf(0x0002, false, 0x00, payload))).error.code, 'unknown-extension');
});

test('unknown msg_type of a known extension is discarded', () => {
  for (const [ext, type] of [
    [0, 0x1e],
    [0, 0x05],
    [1, 0x03],
  ]) {
    const r = failure(decodeFrame(frameOf(ext!, true, type!, new Uint8Array(8))));
    assert.equal(r.error.code, 'unknown-message');
    assert.equal(r.disposition, 'discard');
  }
});

test('the channel_msg bit of a known message is reported, not enforced', () => {
  const payload = encodePayload(share);
  const r = decodeFrame(frameOf(0, false, MSG_TYPE.SubmitSharesExtended, payload));
  assert.ok(r.ok);
  assert.equal(r.channel_msg, false);
  const own = decodeFrame(encodeFrame(share));
  assert.ok(own.ok);
  assert.equal(own.channel_msg, true);
});

test('frames whose msg_length disagrees with their size are refused', () => {
  const f = encodeFrame(share);
  assert.equal(failure(decodeFrame(f.subarray(0, f.length - 1))).error.code, 'truncated');
  assert.equal(failure(decodeFrame(concat(f, Uint8Array.of(0)))).error.code, 'trailing-bytes');
  assert.equal(failure(decodeFrame(f.subarray(0, 5))).error.code, 'truncated');
});

test('a field that breaks its bound names the message and field', () => {
  const payload = encodePayload(share);
  payload[24] = 33; // extranonce length: B0_32 allows 32
  const r = failure(decodePayload({ extension_type: 0, msg_type: MSG_TYPE.SubmitSharesExtended }, payload));
  assert.equal(r.error.code, 'out-of-bounds');
  assert.equal(r.error.message_name, 'SubmitSharesExtended');
  assert.equal(r.error.field, 'extranonce');
  assert.equal(r.disposition, 'reject');
});

test('trailing bytes: TLVs are returned and re-encoded verbatim, anything else is refused', () => {
  const base = encodePayload(share);
  const unknownTlv = tlv(0x4001, 7, Uint8Array.of(1, 2, 3));
  const h = { extension_type: 0, msg_type: MSG_TYPE.SubmitSharesExtended };
  const r = decodePayload(h, concat(base, unknownTlv));
  assert.ok(r.ok);
  assert.deepEqual(r.tlvs, [{ extension_type: 0x4001, field_type: 7, value: Uint8Array.of(1, 2, 3) }]);
  assert.deepEqual(encodePayload(r.message, r.tlvs), concat(base, unknownTlv));
  const bad = failure(decodePayload(h, concat(base, Uint8Array.of(1, 2))));
  assert.equal(bad.error.code, 'trailing-bytes');
});

test('user_identity TLV: read when negotiated, left raw when not, refused when invalid', () => {
  const h = { extension_type: 0, msg_type: MSG_TYPE.SubmitSharesExtended };
  const name = new TextEncoder().encode('rig-07.farm');
  const payload = concat(encodePayload(share), tlv(2, 1, name));
  const on = decodePayload(h, payload, { extensions: [2] });
  assert.ok(on.ok && on.message.type === 'SubmitSharesExtended');
  assert.equal(on.message.user_identity, 'rig-07.farm');
  const off = decodePayload(h, payload, { extensions: [] });
  assert.ok(off.ok && off.message.type === 'SubmitSharesExtended');
  assert.equal(off.message.user_identity, undefined);
  assert.equal(off.tlvs.length, 1);

  const long = failure(
    decodePayload(h, concat(encodePayload(share), tlv(2, 1, new Uint8Array(33).fill(0x61)))),
  );
  assert.equal(long.error.code, 'out-of-bounds');
  assert.equal(long.error.field, 'user_identity');
  const notText = failure(decodePayload(h, concat(encodePayload(share), tlv(2, 1, Uint8Array.of(0xff)))));
  assert.equal(notText.error.code, 'invalid-utf8');
  assert.throws(
    () => encodePayload({ ...share, user_identity: 'x'.repeat(33) }),
    (e: unknown) => e instanceof CodecError && e.code === 'out-of-bounds',
  );
});

test('BOOL padding bits: bit 0 decides by default, strict mode refuses them', () => {
  const template: Message = {
    type: 'NewTemplate',
    template_id: 1n,
    future_template: true,
    version: 2,
    coinbase_tx_version: 2,
    coinbase_prefix: new Uint8Array(0),
    coinbase_tx_input_sequence: 0,
    coinbase_tx_value_remaining: 0n,
    coinbase_tx_outputs_count: 0,
    coinbase_tx_outputs: new Uint8Array(0),
    coinbase_tx_locktime: 0,
    merkle_path: [],
  };
  const payload = encodePayload(template);
  payload[8] = 0xfe; // future_template follows the U64 template_id
  const h = { extension_type: 0, msg_type: MSG_TYPE.NewTemplate };
  const lenient = decodePayload(h, payload);
  assert.ok(lenient.ok && lenient.message.type === 'NewTemplate');
  assert.equal(lenient.message.future_template, false);
  const strict = failure(decodePayload(h, payload, { strictBool: true }));
  assert.equal(strict.error.code, 'bad-bool');
  assert.equal(strict.error.field, 'future_template');
});

test('decoding a Buffer gives plain Uint8Array views of it', () => {
  const frame = Buffer.from(encodeFrame(share));
  const r = decodeFrame(frame);
  assert.ok(r.ok && r.message.type === 'SubmitSharesExtended');
  assert.equal(Object.getPrototypeOf(r.message.extranonce), Uint8Array.prototype);
  assert.equal(r.message.extranonce.buffer, frame.buffer);
  assert.deepStrictEqual(r.message, share);
});

test('encoding refuses values that do not fit, naming the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...share, nonce: 2 ** 32 }, 'SubmitSharesExtended.nonce'],
    [{ ...share, extranonce: new Uint8Array(33) }, 'SubmitSharesExtended.extranonce'],
    [{ ...share, job_id: undefined }, 'SubmitSharesExtended.job_id'],
    [{ ...share, type: 'NoSuchMessage' }, 'message'],
  ];
  for (const [msg, what] of cases) {
    assert.throws(
      () => encodeFrame(msg as unknown as Message),
      (e: unknown) => e instanceof CodecError && e.what === what,
      what,
    );
  }
});

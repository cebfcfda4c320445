// Known encodings from an independent implementation (sv2-tp, the C++
// Template Provider): decode to the stated values and re-encode to the same
// bytes. Values come from the vector file only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeFrameHeader, encodeFrameHeader } from '../../src/codec/frame.js';
import type { DataType } from '../../src/codec/types.js';
import {
  decodePayload,
  encodePayload,
  MSG_TYPE,
  schemaByWireType,
  type Message,
} from '../../src/messages/index.js';
import type { MessageSchema } from '../../src/messages/schema.js';
import { vectorPath } from '../helpers/paths.js';

interface Vector {
  test: string;
  message: string;
  direction: string;
  payload_hex?: string;
  header_hex?: string;
  bytes_hex?: string;
  fields?: Record<string, unknown>;
}

const file = JSON.parse(
  readFileSync(vectorPath('extracted', 'sv2', 'sv2-tp_message_encodings.json'), 'utf8'),
) as {
  vectors: Vector[];
};

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The vector's snake_case spelling of a spec field where it differs from the spec's own. */
const FIELD_ALIASES: Record<string, string> = { n_bits: 'nBits' };

/** Finds the schema from the vector's "Name (…, msg_type 0xNN)" label and checks the name agrees. */
function schemaOf(v: Vector): MessageSchema {
  const m = /^([A-Za-z.]+) \(.*msg_type (0x[0-9a-f]{2})\)$/.exec(v.message);
  assert.ok(m, `cannot read message label "${v.message}"`);
  const entry = schemaByWireType(0, Number(m[2]));
  assert.ok(entry, v.message);
  assert.equal(entry.schema.spec_name, m[1]);
  return entry.schema;
}

function convert(type: DataType<unknown>, value: unknown): unknown {
  if (type.kind === 'U64') return BigInt(value as number);
  if (Array.isArray(value)) return value.map((x) => convert(type.of!, x));
  if (typeof value === 'string' && type.kind !== 'STR0_255') return hex(value);
  return value;
}

/** The vector's fields as a message object, keyed by spec field names. */
function fieldsOf(schema: MessageSchema, fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: schema.name };
  for (const [key, value] of Object.entries(fields)) {
    const base = key.replace(/_hex$/, '');
    const name = FIELD_ALIASES[base] ?? base;
    const type = schema.fields[name];
    if (type === undefined) {
      // A hex restatement of a number already given (e.g. n_bits_hex beside n_bits).
      assert.ok(key.endsWith('_hex') && base in fields, `${schema.name}: unexpected vector field ${key}`);
      continue;
    }
    if (key.endsWith('_hex') && base in fields) continue;
    out[name] = convert(type, value);
  }
  return out;
}

const messageVectors = file.vectors.filter(
  (v) =>
    v.payload_hex !== undefined &&
    v.direction !== 'decode (no field assertions in source; they are commented out)',
);

test('the file holds the expected kinds of vectors', () => {
  assert.ok(messageVectors.length >= 6);
  assert.ok(file.vectors.some((v) => v.test === 'Sv2SubmitSolution_test'));
});

for (const v of messageVectors) {
  test(`${v.test}: ${v.direction} matches byte for byte`, () => {
    const schema = schemaOf(v);
    const expected = fieldsOf(schema, v.fields!);
    const payload = hex(v.payload_hex!);
    const r = decodePayload({ extension_type: schema.extension_type, msg_type: schema.msg_type }, payload);
    if (!r.ok) assert.fail(r.error.message);
    // Every schema field is stated by the vector, so the decoded message equals it exactly.
    assert.deepStrictEqual(r.message, expected);
    assert.equal(toHex(encodePayload(expected as unknown as Message)), v.payload_hex);
  });
}

test('Sv2NetMsg_SetupConnectionSuccess_test: msg_type byte then our payload', () => {
  const v = file.vectors.find((x) => x.test === 'Sv2NetMsg_SetupConnectionSuccess_test')!;
  const entry = schemaByWireType(0, hex(v.bytes_hex!)[0]!)!;
  assert.equal(entry.schema.name, 'SetupConnectionSuccess');
  const body = encodePayload(fieldsOf(entry.schema, v.fields!) as unknown as Message);
  assert.equal(toHex(body), v.bytes_hex!.slice(2));
});

for (const v of file.vectors.filter((x) => x.header_hex !== undefined)) {
  test(`${v.test}: frame header ${v.direction}`, () => {
    const f = v.fields as { extension_type: number | string; msg_type: number | string; msg_length: number };
    const fields = {
      extension_type: Number(f.extension_type),
      msg_type: Number(f.msg_type),
      msg_length: f.msg_length,
    };
    const h = decodeFrameHeader(hex(v.header_hex!));
    assert.deepEqual(
      { extension_type: h.extension_type, msg_type: h.msg_type, msg_length: h.msg_length },
      fields,
    );
    assert.equal(h.channel_msg, false);
    assert.equal(toHex(encodeFrameHeader({ ...fields, channel_msg: false })), v.header_hex);
  });
}

test('Sv2SubmitSolution_test is rejected: its B0_64K prefix does not match the bytes after it', () => {
  const v = file.vectors.find((x) => x.test === 'Sv2SubmitSolution_test')!;
  const schema = schemaOf(v);
  const r = decodePayload({ extension_type: 0, msg_type: schema.msg_type }, hex(v.payload_hex!));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.error.message_name, 'SubmitSolution');
    assert.equal(r.error.code, 'trailing-bytes');
    assert.equal(r.disposition, 'reject');
  }
});

test('real NewExtendedMiningJob coinbase parts (SRI, Braiins Pool) travel unchanged as B0_64K', () => {
  const strip = JSON.parse(
    readFileSync(vectorPath('extracted', 'sv2', 'sri_coinbase_bip141_strip.json'), 'utf8'),
  ) as {
    cases: { coinbase_tx_prefix_hex: string; coinbase_tx_suffix_hex: string }[];
  };
  assert.ok(strip.cases.length > 0);
  for (const c of strip.cases) {
    const prefix = hex(c.coinbase_tx_prefix_hex);
    const suffix = hex(c.coinbase_tx_suffix_hex);
    const job: Message = {
      type: 'NewExtendedMiningJob',
      channel_id: 1,
      job_id: 2,
      min_ntime: null,
      version: 0x20000000,
      version_rolling_allowed: true,
      merkle_path: [],
      coinbase_tx_prefix: prefix,
      coinbase_tx_suffix: suffix,
    };
    const payload = encodePayload(job);
    // channel_id, job_id, empty OPTION, version, BOOL, empty SEQ: 15 bytes, then the B0_64K prefix.
    assert.equal(payload[15]! | (payload[16]! << 8), prefix.length);
    assert.equal(toHex(payload.subarray(17, 17 + prefix.length)), c.coinbase_tx_prefix_hex);
    assert.equal(toHex(payload.subarray(payload.length - suffix.length)), c.coinbase_tx_suffix_hex);
    const r = decodePayload({ extension_type: 0, msg_type: MSG_TYPE.NewExtendedMiningJob }, payload);
    assert.ok(r.ok);
    assert.deepStrictEqual(r.message, job);
  }
});

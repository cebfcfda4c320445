// Encode and decode throughput of the hot messages: SubmitSharesExtended
// (every share), NewExtendedMiningJob with a 12-hash merkle path (every job)
// and NewTemplate with 3 outputs (every template).
import { emit, opsPerSecond } from './harness.js';
import { decodeFrame, encodeFrame, type Message } from '../src/messages/index.js';

function filled(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

const share: Message = {
  type: 'SubmitSharesExtended',
  channel_id: 7,
  sequence_number: 123456,
  job_id: 42,
  nonce: 0xdeadbeef,
  ntime: 1745596932,
  version: 0x20000000,
  extranonce: filled(16, 1),
};

const job: Message = {
  type: 'NewExtendedMiningJob',
  channel_id: 7,
  job_id: 43,
  min_ntime: 1745596930,
  version: 0x20000000,
  version_rolling_allowed: true,
  merkle_path: Array.from({ length: 12 }, (_, i) => filled(32, i)),
  coinbase_tx_prefix: filled(60, 2),
  coinbase_tx_suffix: filled(120, 3),
};

// Three outputs: a P2WPKH payout, an OP_RETURN and the witness commitment.
const outputs = Uint8Array.from([
  ...[0, 0, 0, 0, 0, 0, 0, 0, 22, 0x00, 0x14, ...filled(20, 4)],
  ...[0, 0, 0, 0, 0, 0, 0, 0, 6, 0x6a, 4, ...filled(4, 5)],
  ...[0, 0, 0, 0, 0, 0, 0, 0, 38, 0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed, ...filled(32, 6)],
]);
const template: Message = {
  type: 'NewTemplate',
  template_id: 1745596930000n,
  future_template: false,
  version: 0x20000000,
  coinbase_tx_version: 2,
  coinbase_prefix: Uint8Array.of(3, 0x05, 0x46, 0x08),
  coinbase_tx_input_sequence: 0xffffffff,
  coinbase_tx_value_remaining: 312500000n,
  coinbase_tx_outputs_count: 3,
  coinbase_tx_outputs: outputs,
  coinbase_tx_locktime: 0,
  merkle_path: Array.from({ length: 11 }, (_, i) => filled(32, 20 + i)),
};

export default async function (): Promise<void> {
  for (const msg of [share, job, template]) {
    const frame = encodeFrame(msg);
    let sink = 0;
    const encode = opsPerSecond(() => {
      sink += encodeFrame(msg).length;
    });
    emit({ bench: `codec.${msg.type}.encode`, value: encode, unit: 'ops/s', frame_bytes: frame.length });
    const decode = opsPerSecond(() => {
      const r = decodeFrame(frame);
      if (!r.ok) throw r.error;
      sink += r.tlvs.length;
    });
    emit({ bench: `codec.${msg.type}.decode`, value: decode, unit: 'ops/s', frame_bytes: frame.length });
    if (sink < 0) console.log(sink);
  }
}

// Transaction outputs and output lists. TDP's NewTemplate.coinbase_tx_outputs
// is the outputs concatenated with NO CompactSize count (the count travels in
// coinbase_tx_outputs_count); SetCustomMiningJob.coinbase_tx_outputs and
// AllocateMiningJobToken.Success.coinbase_outputs carry the count.
import { BitcoinDataError } from './errors.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export interface TxOutput {
  /** Amount in satoshis. */
  value: bigint;
  script: Uint8Array;
}

/** Largest amount Bitcoin allows in one output (21 million BTC). */
export const MAX_MONEY = 21_000_000n * 100_000_000n;

export function writeOutput(w: ByteWriter, output: TxOutput): void {
  if (output.value < 0n || output.value > MAX_MONEY) {
    throw new RangeError(`output value ${output.value} sats is outside 0..${MAX_MONEY}`);
  }
  w.i64(output.value).varBytes(output.script);
}

export function readOutput(r: ByteReader): TxOutput {
  const value = r.i64('output value');
  const script = r.varBytes('output script');
  return { value, script };
}

/** Serializes outputs; `withCount` prefixes the CompactSize count. */
export function serializeOutputs(outputs: readonly TxOutput[], withCount: boolean): Uint8Array {
  const w = new ByteWriter();
  if (withCount) w.compactSize(outputs.length);
  for (const o of outputs) writeOutput(w, o);
  return w.finish();
}

/**
 * Parses an output list. With `count` given, the bytes hold exactly that many
 * outputs and no count (TDP form); without it, a CompactSize count comes first.
 * Every byte must be consumed.
 */
export function parseOutputs(bytes: Uint8Array, count?: number): TxOutput[] {
  const r = new ByteReader(bytes);
  const n = count ?? r.compactSize('output count');
  // Each output takes at least 9 bytes: refuse counts the input cannot hold.
  if (n * 9 > r.remaining) throw new BitcoinDataError(`${n} outputs cannot fit in ${r.remaining} bytes`);
  const outputs: TxOutput[] = [];
  for (let i = 0; i < n; i++) outputs.push(readOutput(r));
  if (r.remaining !== 0) throw new BitcoinDataError(`${r.remaining} bytes left after ${n} outputs`);
  return outputs;
}

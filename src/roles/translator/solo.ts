// Solo miners behind the translator: a V1 user name `<address>.<worker>`
// (the convention of public-pool and ckpool solo) names a Bitcoin address,
// and such a miner mines on a channel of its own, opened under that name,
// so the pool can pay the address in the channel's coinbase. Which network
// the address is for is the pool's business: any network's form counts.
import { NETWORKS, addressToScript, concatBytes, equalBytes, parseTransaction } from '../../bitcoin/index.js';
import type { UpstreamJob } from '../../sv1/index.js';

/** The output scripts the account part of `user` stands for, if it is an address (of any network). */
export function addressScripts(user: string): Uint8Array[] {
  const dot = user.indexOf('.');
  const account = (dot < 0 ? user : user.slice(0, dot)).trim();
  if (account.length < 14 || account.length > 90) return [];
  const out: Uint8Array[] = [];
  for (const network of Object.values(NETWORKS)) {
    let script: Uint8Array;
    try {
      script = addressToScript(account, network);
    } catch {
      continue;
    }
    if (!out.some((s) => equalBytes(s, script))) out.push(script);
  }
  return out;
}

/**
 * The share of a job's coinbase value paid to one of `scripts` (0..1), or
 * undefined when the coinbase cannot be read. The job's coinbase prefix
 * already holds the pool's extranonce_prefix (channel.ts); `rollable` zero
 * bytes stand for what the miner rolls.
 */
export function payoutShare(
  job: UpstreamJob,
  rollable: number,
  scripts: readonly Uint8Array[],
): number | undefined {
  let outputs;
  try {
    const tx = parseTransaction(
      concatBytes(job.coinbase_tx_prefix, new Uint8Array(rollable), job.coinbase_tx_suffix),
    );
    outputs = tx.outputs;
  } catch {
    return undefined;
  }
  let total = 0n;
  let paid = 0n;
  for (const o of outputs) {
    total += o.value;
    if (scripts.some((s) => equalBytes(s, o.script))) paid += o.value;
  }
  return total === 0n ? 0 : Number((paid * 10_000n) / total) / 10_000;
}

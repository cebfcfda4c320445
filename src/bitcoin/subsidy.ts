// Block subsidy: 50 BTC halving every 210,000 blocks (150 on regtest), zero
// after 64 halvings, as Bitcoin Core's GetBlockSubsidy computes it.
import type { NetworkName } from './network.js';

export const COIN = 100_000_000n;

/** Blocks between halvings on each network. */
export function halvingInterval(network: NetworkName): number {
  return network === 'regtest' ? 150 : 210_000;
}

/** The subsidy in satoshis of the block at `height`. */
export function blockSubsidy(height: number, network: NetworkName = 'mainnet'): bigint {
  if (!Number.isSafeInteger(height) || height < 0)
    throw new RangeError(`block height out of range: ${height}`);
  const halvings = Math.floor(height / halvingInterval(network));
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

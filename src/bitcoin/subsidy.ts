// The block subsidy: 50 BTC halved every halving interval (210,000 blocks on
// mainnet, testnet and signet; 150 on regtest), zero after 64 halvings.
import type { NetworkName } from './network.js';

const COIN = 100_000_000n;

export const HALVING_INTERVAL: Readonly<Record<NetworkName, number>> = {
  mainnet: 210_000,
  testnet3: 210_000,
  testnet4: 210_000,
  signet: 210_000,
  regtest: 150,
};

/** Satoshis a block at `height` may create. */
export function blockSubsidy(height: number, halvingInterval = HALVING_INTERVAL.mainnet): bigint {
  if (!Number.isSafeInteger(height) || height < 0)
    throw new RangeError(`block height out of range: ${height}`);
  if (!Number.isSafeInteger(halvingInterval) || halvingInterval < 1)
    throw new RangeError(`halving interval must be a positive integer, got ${halvingInterval}`);
  const halvings = Math.floor(height / halvingInterval);
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

// Strata's network names and the chain name Bitcoin Core reports for each
// (getblockchaininfo.chain).

import type { NetworkName as BitcoinNetworkName } from '../bitcoin/network.js';

/** The bitcoin layer's networks plus `devnet` (Strata's development node, regtest rules). */
export const NETWORKS = [
  'mainnet',
  'testnet4',
  'testnet3',
  'signet',
  'regtest',
  'devnet',
] as const satisfies readonly (BitcoinNetworkName | 'devnet')[];
export type NetworkName = (typeof NETWORKS)[number];

/** Values of getblockchaininfo.chain. */
export type ChainName = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest';

const CHAIN_OF: Record<NetworkName, ChainName> = {
  mainnet: 'main',
  testnet4: 'testnet4',
  testnet3: 'test',
  signet: 'signet',
  regtest: 'regtest',
  // Strata's development node has regtest consensus and says so.
  devnet: 'regtest',
};

export function isNetworkName(s: string): s is NetworkName {
  return (NETWORKS as readonly string[]).includes(s);
}

export function chainForNetwork(network: NetworkName): ChainName {
  return CHAIN_OF[network];
}

/** The network name an operator would write for a chain Core reports (for error messages). */
export function networkForChain(chain: string): NetworkName | undefined {
  for (const n of NETWORKS) if (n !== 'devnet' && CHAIN_OF[n] === chain) return n;
  return undefined;
}

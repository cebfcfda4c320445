// Address parameters per network. testnet3, testnet4 and signet share their
// prefixes; regtest shares the base58 prefixes but has its own bech32 HRP.

export type NetworkName = 'mainnet' | 'testnet3' | 'testnet4' | 'signet' | 'regtest';

export interface Network {
  name: NetworkName;
  /** Human-readable part of segwit addresses. */
  bech32: string;
  /** base58check version byte of P2PKH addresses. */
  pubKeyHash: number;
  /** base58check version byte of P2SH addresses. */
  scriptHash: number;
}

export const NETWORKS: Readonly<Record<NetworkName, Network>> = {
  mainnet: { name: 'mainnet', bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05 },
  testnet3: { name: 'testnet3', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4 },
  testnet4: { name: 'testnet4', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4 },
  signet: { name: 'signet', bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4 },
  regtest: { name: 'regtest', bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4 },
};

// Bitcoin Core's getblockchaininfo "chain" values, and common spellings.
const ALIASES: Record<string, NetworkName> = {
  main: 'mainnet',
  mainnet: 'mainnet',
  bitcoin: 'mainnet',
  test: 'testnet3',
  testnet: 'testnet3',
  testnet3: 'testnet3',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/** The network for a name such as Core's chain name ("main", "test", "testnet4", "signet", "regtest"). */
export function networkByName(name: string): Network {
  const key = ALIASES[name.toLowerCase()];
  if (key === undefined) {
    throw new RangeError(`unknown network "${name}" (expected one of ${Object.keys(NETWORKS).join(', ')})`);
  }
  return NETWORKS[key];
}

// Regtest addresses and output descriptors -> scriptPubKey (generatetoaddress,
// generateblock), and Core's scriptPubKey `type` names for decoded outputs.
// Address encoding itself is the bitcoin layer's.
import {
  NETWORKS,
  OP_0,
  OP_1,
  OP_CHECKSIG,
  OP_DUP,
  OP_EQUAL,
  OP_EQUALVERIFY,
  OP_HASH160,
  OP_RETURN,
  addressToScript as toScript,
  hexToBytes,
  scriptToAddress,
} from '../../bitcoin/index.js';

const OP_16 = OP_1 + 15;

/** scriptPubKey for a regtest address, or null when it is not one (other networks are refused, as in Core). */
export function addressToScript(address: string): Uint8Array | null {
  try {
    return toScript(address, NETWORKS.regtest);
  } catch {
    return null;
  }
}

/**
 * generateblock's `output`: an address, `addr(ADDRESS)` or `raw(HEX)`
 * descriptor (an optional `#checksum` is ignored).
 */
export function outputToScript(output: string): Uint8Array | null {
  const desc = output.replace(/#[0-9a-z]{8}$/, '');
  const addr = /^addr\((.+)\)$/.exec(desc);
  if (addr) return addressToScript(addr[1]!);
  const raw = /^raw\(([0-9a-fA-F]*)\)$/.exec(desc);
  if (raw) {
    try {
      const script = hexToBytes(raw[1]!);
      return script.length > 0 ? script : null;
    } catch {
      return null;
    }
  }
  return addressToScript(output);
}

function scriptType(s: Uint8Array): string {
  if (
    s.length === 25 &&
    s[0] === OP_DUP &&
    s[1] === OP_HASH160 &&
    s[2] === 20 &&
    s[23] === OP_EQUALVERIFY &&
    s[24] === OP_CHECKSIG
  ) {
    return 'pubkeyhash';
  }
  if (s.length === 23 && s[0] === OP_HASH160 && s[1] === 20 && s[22] === OP_EQUAL) return 'scripthash';
  if (
    s.length >= 4 &&
    s.length <= 42 &&
    (s[0] === OP_0 || (s[0]! >= OP_1 && s[0]! <= OP_16)) &&
    s[1] === s.length - 2
  ) {
    if (s[0] === OP_0 && s.length === 22) return 'witness_v0_keyhash';
    if (s[0] === OP_0 && s.length === 34) return 'witness_v0_scripthash';
    if (s[0] === OP_1 && s.length === 34) return 'witness_v1_taproot';
    return s[0] === OP_0 ? 'nonstandard' : 'witness_unknown';
  }
  if (s.length > 0 && s[0] === OP_RETURN) return 'nulldata';
  if (
    ((s.length === 35 && s[0] === 33) || (s.length === 67 && s[0] === 65)) &&
    s[s.length - 1] === OP_CHECKSIG
  ) {
    return 'pubkey';
  }
  return 'nonstandard';
}

/** Core's scriptPubKey `type` and, where one exists, the regtest address. */
export function describeScript(s: Uint8Array): { type: string; address?: string } {
  const type = scriptType(s);
  const address = type === 'nonstandard' || type === 'pubkey' ? null : scriptToAddress(s, NETWORKS.regtest);
  return address ? { type, address } : { type };
}

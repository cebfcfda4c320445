// Regtest addresses and output descriptors -> scriptPubKey (generatetoaddress,
// generateblock), and Core's scriptPubKey `type` names for decoded outputs.
// Address encoding itself is the bitcoin layer's.
import { NETWORKS, addressToScript as toScript, scriptToAddress } from '../../bitcoin/index.js';
import { isHex } from './wire.js';

/** scriptPubKey for a regtest address, or null when it is not one (other networks are refused, as in Core). */
export function addressToScript(address: string): Buffer | null {
  try {
    return Buffer.from(toScript(address, NETWORKS.regtest));
  } catch {
    return null;
  }
}

/**
 * generateblock's `output`: an address, `addr(ADDRESS)` or `raw(HEX)`
 * descriptor (an optional `#checksum` is ignored).
 */
export function outputToScript(output: string): Buffer | null {
  const desc = output.replace(/#[0-9a-z]{8}$/, '');
  const addr = /^addr\((.+)\)$/.exec(desc);
  if (addr) return addressToScript(addr[1]!);
  const raw = /^raw\(([0-9a-fA-F]*)\)$/.exec(desc);
  if (raw) return isHex(raw[1]!) && raw[1]!.length > 0 ? Buffer.from(raw[1]!, 'hex') : null;
  return addressToScript(output);
}

function scriptType(s: Buffer): string {
  if (
    s.length === 25 &&
    s[0] === 0x76 &&
    s[1] === 0xa9 &&
    s[2] === 0x14 &&
    s[23] === 0x88 &&
    s[24] === 0xac
  ) {
    return 'pubkeyhash';
  }
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'scripthash';
  if (
    s.length >= 4 &&
    s.length <= 42 &&
    (s[0] === 0 || (s[0]! >= 0x51 && s[0]! <= 0x60)) &&
    s[1] === s.length - 2
  ) {
    if (s[0] === 0 && s.length === 22) return 'witness_v0_keyhash';
    if (s[0] === 0 && s.length === 34) return 'witness_v0_scripthash';
    if (s[0] === 0x51 && s.length === 34) return 'witness_v1_taproot';
    return s[0] === 0 ? 'nonstandard' : 'witness_unknown';
  }
  if (s.length > 0 && s[0] === 0x6a) return 'nulldata';
  if (((s.length === 35 && s[0] === 33) || (s.length === 67 && s[0] === 65)) && s[s.length - 1] === 0xac) {
    return 'pubkey';
  }
  return 'nonstandard';
}

/** Core's scriptPubKey `type` and, where one exists, the regtest address. */
export function describeScript(s: Buffer): { type: string; address?: string } {
  const type = scriptType(s);
  const address = type === 'nonstandard' || type === 'pubkey' ? null : scriptToAddress(s, NETWORKS.regtest);
  return address ? { type, address } : { type };
}

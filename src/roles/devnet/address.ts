// Regtest addresses and output descriptors -> scriptPubKey, for
// generatetoaddress and generateblock. Mainnet/testnet addresses are refused,
// as a regtest Bitcoin Core refuses them.
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { isHex } from './wire.js';

const base58check = createBase58check(sha256);
const REGTEST_HRP = 'bcrt';
const P2PKH_VERSION = 0x6f;
const P2SH_VERSION = 0xc4;

/** scriptPubKey for a regtest address, or null when it is not one. */
export function addressToScript(address: string): Buffer | null {
  const segwit = decodeSegwit(address);
  if (segwit) return segwit;
  try {
    const payload = base58check.decode(address);
    if (payload.length !== 21) return null;
    const hash = Buffer.from(payload.subarray(1));
    if (payload[0] === P2PKH_VERSION) {
      return Buffer.concat([Buffer.from([0x76, 0xa9, 0x14]), hash, Buffer.from([0x88, 0xac])]);
    }
    if (payload[0] === P2SH_VERSION)
      return Buffer.concat([Buffer.from([0xa9, 0x14]), hash, Buffer.from([0x87])]);
  } catch {
    return null;
  }
  return null;
}

function decodeSegwit(address: string): Buffer | null {
  if (!address.toLowerCase().startsWith(REGTEST_HRP + '1')) return null;
  for (const codec of [bech32, bech32m]) {
    let decoded: { prefix: string; words: number[] };
    try {
      decoded = codec.decode(address as `${string}1${string}`);
    } catch {
      continue;
    }
    if (decoded.prefix !== REGTEST_HRP || decoded.words.length === 0) continue;
    const version = decoded.words[0]!;
    // BIP350: version 0 uses bech32, later versions bech32m.
    if ((version === 0) !== (codec === bech32) || version > 16) continue;
    let program: Uint8Array;
    try {
      program = codec.fromWords(decoded.words.slice(1));
    } catch {
      continue;
    }
    if (program.length < 2 || program.length > 40) continue;
    if (version === 0 && program.length !== 20 && program.length !== 32) continue;
    const op = version === 0 ? 0x00 : 0x50 + version;
    return Buffer.concat([Buffer.from([op, program.length]), program]);
  }
  return null;
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

/** Core's scriptPubKey `type` name and, for standard outputs, the regtest address. */
export function describeScript(s: Buffer): { type: string; address?: string } {
  const words = (version: number, program: Uint8Array) => [version, ...bech32.toWords(program)];
  if (
    s.length === 25 &&
    s[0] === 0x76 &&
    s[1] === 0xa9 &&
    s[2] === 0x14 &&
    s[23] === 0x88 &&
    s[24] === 0xac
  ) {
    return {
      type: 'pubkeyhash',
      address: base58check.encode(Buffer.concat([Buffer.from([P2PKH_VERSION]), s.subarray(3, 23)])),
    };
  }
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) {
    return {
      type: 'scripthash',
      address: base58check.encode(Buffer.concat([Buffer.from([P2SH_VERSION]), s.subarray(2, 22)])),
    };
  }
  if (
    s.length >= 4 &&
    s.length <= 42 &&
    (s[0] === 0 || (s[0]! >= 0x51 && s[0]! <= 0x60)) &&
    s[1] === s.length - 2
  ) {
    const version = s[0] === 0 ? 0 : s[0]! - 0x50;
    const program = s.subarray(2);
    const type =
      version === 0 && program.length === 20
        ? 'witness_v0_keyhash'
        : version === 0 && program.length === 32
          ? 'witness_v0_scripthash'
          : version === 1 && program.length === 32
            ? 'witness_v1_taproot'
            : 'witness_unknown';
    if (version === 0 && type === 'witness_unknown') return { type: 'nonstandard' };
    const codec = version === 0 ? bech32 : bech32m;
    return { type, address: codec.encode(REGTEST_HRP, words(version, program), 1023) };
  }
  if (s.length > 0 && s[0] === 0x6a) return { type: 'nulldata' };
  if ((s.length === 35 && s[0] === 33) || (s.length === 67 && s[0] === 65)) {
    if (s[s.length - 1] === 0xac) return { type: 'pubkey' };
  }
  return { type: 'nonstandard' };
}

// Addresses ↔ output scripts: P2PKH and P2SH (base58check), segwit v0
// P2WPKH/P2WSH (bech32, BIP173) and v1+ such as P2TR (bech32m, BIP350).
// An address of another network is refused with a message that names both.
import { bech32, bech32m, createBase58check } from '@scure/base';
import { AddressError } from './errors.js';
import { sha256 } from './hash.js';
import { NETWORKS, type Network } from './network.js';
import { OP_0, OP_1, OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160 } from './script.js';

const base58check = createBase58check(sha256);

function describeNetworks(match: (n: Network) => boolean): string {
  return Object.values(NETWORKS)
    .filter(match)
    .map((n) => n.name)
    .join('/');
}

function wrongNetwork(address: string, owner: string, network: Network): AddressError {
  return new AddressError(
    `address ${address} is for ${owner}, but the configured network is ${network.name}`,
  );
}

function witnessScript(version: number, program: Uint8Array): Uint8Array {
  const script = new Uint8Array(2 + program.length);
  script[0] = version === 0 ? OP_0 : OP_1 + version - 1;
  script[1] = program.length;
  script.set(program, 2);
  return script;
}

function segwitToScript(address: string, network: Network): Uint8Array {
  const lower = address.toLowerCase();
  const hrp = lower.slice(0, lower.lastIndexOf('1'));
  if (hrp !== network.bech32) {
    const owner = describeNetworks((n) => n.bech32 === hrp);
    throw owner
      ? wrongNetwork(address, owner, network)
      : new AddressError(`address ${address}: unknown prefix "${hrp}"`);
  }
  let words: number[];
  let isBech32m = false;
  try {
    words = bech32.decode(address as `${string}1${string}`).words;
  } catch {
    try {
      words = bech32m.decode(address as `${string}1${string}`).words;
      isBech32m = true;
    } catch (e) {
      throw new AddressError(`address ${address} is not valid bech32/bech32m: ${(e as Error).message}`);
    }
  }
  const version = words[0];
  if (version === undefined || version > 16)
    throw new AddressError(`address ${address} has no valid witness version`);
  let program: Uint8Array;
  try {
    program = bech32.fromWords(words.slice(1));
  } catch (e) {
    throw new AddressError(`address ${address} has a malformed witness program: ${(e as Error).message}`);
  }
  // BIP350: version 0 uses bech32, every later version bech32m.
  if ((version === 0) === isBech32m) {
    throw new AddressError(`address ${address} uses the wrong checksum for witness version ${version}`);
  }
  if (program.length < 2 || program.length > 40) {
    throw new AddressError(`address ${address} has a ${program.length}-byte witness program (must be 2..40)`);
  }
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    throw new AddressError(`address ${address}: a version 0 witness program must be 20 or 32 bytes`);
  }
  return witnessScript(version, program);
}

function base58ToScript(address: string, network: Network): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch (e) {
    throw new AddressError(`address ${address} is not valid base58check: ${(e as Error).message}`);
  }
  if (payload.length !== 21)
    throw new AddressError(`address ${address} decodes to ${payload.length} bytes, not 21`);
  const prefix = payload[0]!;
  const hash = payload.subarray(1);
  if (prefix === network.pubKeyHash) {
    return Uint8Array.of(OP_DUP, OP_HASH160, 20, ...hash, OP_EQUALVERIFY, OP_CHECKSIG);
  }
  if (prefix === network.scriptHash) return Uint8Array.of(OP_HASH160, 20, ...hash, OP_EQUAL);
  const owner = describeNetworks((n) => n.pubKeyHash === prefix || n.scriptHash === prefix);
  if (owner) throw wrongNetwork(address, owner, network);
  throw new AddressError(`address ${address} has unknown version byte 0x${prefix.toString(16)}`);
}

/** The output script paying to `address` on `network`; throws AddressError otherwise. */
export function addressToScript(address: string, network: Network): Uint8Array {
  const trimmed = address.trim();
  if (trimmed === '') throw new AddressError('address is empty');
  // Every bech32 HRP we know ends in a letter and is followed by the separator "1".
  const lower = trimmed.toLowerCase();
  const looksSegwit = Object.values(NETWORKS).some((n) => lower.startsWith(n.bech32 + '1'));
  return looksSegwit ? segwitToScript(trimmed, network) : base58ToScript(trimmed, network);
}

/** The address of an output script on `network`, or null for scripts without one (OP_RETURN, bare keys…). */
export function scriptToAddress(script: Uint8Array, network: Network): string | null {
  const s = script;
  if (s.length === 25 && s[0] === OP_DUP && s[1] === OP_HASH160 && s[2] === 20 && s[23] === OP_EQUALVERIFY) {
    if (s[24] !== OP_CHECKSIG) return null;
    return base58check.encode(Uint8Array.of(network.pubKeyHash, ...s.subarray(3, 23)));
  }
  if (s.length === 23 && s[0] === OP_HASH160 && s[1] === 20 && s[22] === OP_EQUAL) {
    return base58check.encode(Uint8Array.of(network.scriptHash, ...s.subarray(2, 22)));
  }
  const op = s[0];
  if (op === undefined || s.length < 4 || s.length > 42 || s[1] !== s.length - 2) return null;
  let version: number;
  if (op === OP_0) version = 0;
  else if (op >= OP_1 && op <= OP_1 + 15) version = op - OP_1 + 1;
  else return null;
  const program = s.subarray(2);
  if (version === 0 && program.length !== 20 && program.length !== 32) return null;
  const words = [version, ...bech32.toWords(program)];
  return version === 0 ? bech32.encode(network.bech32, words) : bech32m.encode(network.bech32, words);
}

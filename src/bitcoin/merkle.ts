// Bitcoin merkle trees over 32-byte hashes in internal order. A level with an
// odd number of nodes pairs its last node with itself. SV2 carries the
// coinbase's branch as `merkle_path`: the siblings of leaf 0, deepest first,
// folded as root = SHA256d(root ‖ sibling) (spec 5.3.16).
import { hashPair } from './hash.js';
import { bytesToWords, sha256dPairWords, wordsToBytes } from './sha256-words.js';
import { BitcoinDataError } from './errors.js';

function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i]!;
    up.push(hashPair(left, level[i + 1] ?? left));
  }
  return up;
}

/** Merkle root of txids (or wtxids), all internal order. */
export function merkleRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new BitcoinDataError('merkle root of an empty list');
  let level = hashes;
  while (level.length > 1) level = nextLevel(level);
  return Uint8Array.from(level[0]!);
}

/**
 * The coinbase's merkle path given the txids of every other transaction of
 * the block, in block order (what getblocktemplate lists). It does not depend
 * on the coinbase itself, which is why a job can carry it.
 */
export function coinbaseMerklePath(otherTxids: Uint8Array[]): Uint8Array[] {
  const path: Uint8Array[] = [];
  // Leaf 0 is a placeholder: no sibling on the path is ever derived from it.
  let level = [new Uint8Array(32), ...otherTxids];
  while (level.length > 1) {
    path.push(Uint8Array.from(level[1]!));
    level = nextLevel(level);
  }
  return path;
}

const node = new Int32Array(8);
const sibling = new Int32Array(8);

/**
 * Folds a merkle path onto the coinbase txid: the block's merkle root. It
 * runs for every share a pool or translator checks, so the nodes stay as
 * SHA-256 words from one step to the next (sha256-words.ts).
 */
export function foldMerklePath(coinbaseTxid: Uint8Array, merklePath: readonly Uint8Array[]): Uint8Array {
  if (coinbaseTxid.length !== 32)
    throw new BitcoinDataError(`txid must be 32 bytes, got ${coinbaseTxid.length}`);
  bytesToWords(coinbaseTxid, node);
  for (const step of merklePath) {
    if (step.length !== 32)
      throw new BitcoinDataError(`merkle path node must be 32 bytes, got ${step.length}`);
    sha256dPairWords(node, bytesToWords(step, sibling), node);
  }
  return wordsToBytes(node);
}

/** BIP141 witness merkle root: the coinbase's wtxid counts as 32 zero bytes. */
export function witnessMerkleRoot(wtxids: Uint8Array[]): Uint8Array {
  if (wtxids.length === 0) throw new BitcoinDataError('witness merkle root of an empty list');
  return merkleRoot([new Uint8Array(32), ...wtxids.slice(1)]);
}

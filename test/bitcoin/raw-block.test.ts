// The raw mainnet block 574200 (3,315 transactions, segwit): parse all of
// it, recompute its merkle root, witness commitment and coinbase merkle path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesToHex,
  coinbaseMerklePath,
  findWitnessCommitment,
  foldMerklePath,
  merkleRoot,
  parseBlock,
  serializeBlock,
  toDisplayHex,
  txid,
  witnessCommitment,
  witnessMerkleRoot,
  wtxid,
  blockHashDisplay,
} from '../../src/bitcoin/index.js';
import { BLOCKS_FILE, loadBytes, loadJson, type BlocksFile } from './load.js';

const HASH = '0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2';

test('block 574200 from btcd: every transaction, merkle root, witness commitment, merkle path', () => {
  const bytes = loadBytes('btcd', 'wire', 'testdata', `block-${HASH}.blk`);
  const summary = loadJson<BlocksFile>(...BLOCKS_FILE).blocks.find((b) => b.block_hash_display === HASH)!;
  const block = parseBlock(bytes);
  assert.equal(blockHashDisplay(block.header), HASH);
  assert.equal(block.transactions.length, summary.tx_count);
  assert.equal(block.transactions.length, 3315);
  assert.deepEqual(serializeBlock(block), bytes);

  const txids = block.transactions.map(txid);
  assert.equal(bytesToHex(merkleRoot(txids)), bytesToHex(block.header.merkle_root));
  assert.equal(toDisplayHex(txids[0]!), summary.coinbase!.txid_display);

  const path = coinbaseMerklePath(txids.slice(1));
  assert.equal(path.length, 12);
  assert.deepEqual(path.map(bytesToHex), summary.coinbase_merkle_path_internal);
  assert.equal(bytesToHex(foldMerklePath(txids[0]!, path)), bytesToHex(block.header.merkle_root));

  const coinbase = block.transactions[0]!;
  const root = witnessMerkleRoot(block.transactions.map(wtxid));
  assert.equal(bytesToHex(root), summary.coinbase!.witness_merkle_root_internal);
  const commitment = witnessCommitment(root, coinbase.inputs[0]!.witness[0]!);
  assert.equal(bytesToHex(commitment), bytesToHex(findWitnessCommitment(coinbase.outputs)!.commitment));
  assert.equal(bytesToHex(commitment), summary.coinbase!.witness_commitment_hex);
});

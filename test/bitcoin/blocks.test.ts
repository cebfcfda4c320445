// Real mainnet headers, coinbases, merkle data and BIP34 pushes
// (blocks_coinbases_bip34.json), reproduced exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitsToTarget,
  blockHashDisplay,
  bytesToHex,
  coinbaseMerklePath,
  decodeBip34Height,
  encodeBip34Height,
  findWitnessCommitment,
  foldMerklePath,
  fromDisplayHex,
  hashMeetsTarget,
  headerHash,
  hexToBytes,
  isCoinbase,
  merkleRoot,
  parseHeader,
  parseTransaction,
  serializeHeader,
  serializeTransaction,
  toDisplayHex,
  txid,
  u256FromBEHex,
  witnessCommitment,
  witnessCommitmentScript,
  wtxid,
} from '../../src/bitcoin/index.js';
import { BLOCKS_FILE, loadJson, loadText, type BlocksFile } from './load.js';

const file = loadJson<BlocksFile>(...BLOCKS_FILE);

test('the vector file has the blocks it documents', () => {
  assert.equal(file.blocks.length, 6);
});

for (const block of file.blocks) {
  test(`block ${block.height}: header fields, hash and target`, () => {
    const bytes = hexToBytes(block.header_hex);
    const header = parseHeader(bytes);
    assert.equal(bytesToHex(serializeHeader(header)), block.header_hex);
    assert.equal(blockHashDisplay(header), block.block_hash_display);
    assert.equal(toDisplayHex(headerHash(bytes)), block.block_hash_display);
    assert.equal(header.bits, parseInt(block.bits, 16));
    if (block.version !== undefined) assert.equal(header.version, block.version);
    if (block.time !== undefined) assert.equal(header.time, block.time);
    if (block.nonce !== undefined) assert.equal(header.nonce, block.nonce);
    if (block.prev_block_display !== undefined)
      assert.equal(toDisplayHex(header.prev_hash), block.prev_block_display);
    if (block.merkle_root_display !== undefined) {
      assert.equal(toDisplayHex(header.merkle_root), block.merkle_root_display);
    }
    const target = bitsToTarget(header.bits);
    assert.equal(target, u256FromBEHex(block.target_from_bits_be));
    assert.equal(hashMeetsTarget(headerHash(bytes), target), true);
  });

  if (block.all_txids_display) {
    const txids = block.all_txids_display.map(fromDisplayHex);
    test(`block ${block.height}: merkle root and coinbase merkle path from all txids`, () => {
      assert.equal(txids.length, block.tx_count);
      assert.equal(toDisplayHex(merkleRoot(txids)), block.merkle_root_display);
      const path = coinbaseMerklePath(txids.slice(1));
      assert.deepEqual(path.map(bytesToHex), block.coinbase_merkle_path_internal);
      assert.equal(toDisplayHex(foldMerklePath(txids[0]!, path)), block.merkle_root_display);
    });
  }

  const cb = block.coinbase;
  if (cb?.hex !== undefined) {
    test(`block ${block.height}: coinbase parse, txid, wtxid, fields`, () => {
      const bytes = hexToBytes(cb.hex!);
      const tx = parseTransaction(bytes);
      assert.equal(isCoinbase(tx), true);
      assert.equal(bytesToHex(serializeTransaction(tx)), cb.hex);
      assert.equal(toDisplayHex(txid(tx)), cb.txid_display);
      assert.equal(toDisplayHex(wtxid(tx)), cb.wtxid_display);
      assert.equal(tx.inputs[0]!.witness.length > 0, cb.is_segwit_serialization);
      assert.equal(bytesToHex(tx.inputs[0]!.script_sig), cb.scriptsig_hex);
      assert.equal(tx.inputs[0]!.sequence, cb.input_sequence);
      assert.equal(tx.locktime, cb.locktime);
      assert.deepEqual(
        tx.outputs.map((o) => ({ value_sat: Number(o.value), script_pubkey_hex: bytesToHex(o.script) })),
        cb.outputs,
      );
      // The merkle path folded onto this coinbase's txid gives the header's root.
      const header = parseHeader(hexToBytes(block.header_hex));
      const path = (block.coinbase_merkle_path_internal ?? []).map(hexToBytes);
      assert.equal(bytesToHex(foldMerklePath(txid(tx), path)), bytesToHex(header.merkle_root));
    });
  }

  if (cb?.witness_commitment_hex !== undefined) {
    test(`block ${block.height}: witness commitment`, () => {
      const tx = parseTransaction(hexToBytes(cb.hex!));
      const found = findWitnessCommitment(tx.outputs);
      assert.ok(found);
      assert.equal(found.index, cb.witness_commitment_output_index);
      assert.equal(bytesToHex(found.commitment), cb.witness_commitment_hex);
      assert.equal(bytesToHex(tx.inputs[0]!.witness[0]!), cb.witness_reserved_value_hex);
      const recomputed = witnessCommitment(
        hexToBytes(cb.witness_merkle_root_internal!),
        hexToBytes(cb.witness_reserved_value_hex!),
      );
      assert.equal(bytesToHex(recomputed), cb.witness_commitment_hex);
      assert.equal(
        bytesToHex(witnessCommitmentScript(recomputed)),
        bytesToHex(tx.outputs[found.index]!.script),
      );
    });
  }
}

test('block 370090 with its nonce set to 0 no longer meets its target', () => {
  const block = file.blocks.find((b) => b.height === 370090)!;
  const bytes = hexToBytes(block.header_hex);
  const header = parseHeader(bytes);
  const changed = serializeHeader({ ...header, nonce: 0 });
  assert.equal(hashMeetsTarget(headerHash(changed), bitsToTarget(header.bits)), false);
});

test('mainnet headers 1..11 chain back to genesis', () => {
  const lines = loadText('btcd', 'netsync', 'testdata', 'blockheaders-mainnet-1-11.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const expected = file.headers_chain.computed_hashes;
  assert.equal(lines.length, expected.length);
  let previous = file.blocks.find((b) => b.height === 0)!.block_hash_display;
  for (const [i, line] of lines.entries()) {
    const header = parseHeader(hexToBytes(line));
    assert.equal(toDisplayHex(header.prev_hash), previous, `header ${i + 1} prev_hash`);
    assert.equal(hashMeetsTarget(headerHash(hexToBytes(line)), bitsToTarget(header.bits)), true);
    previous = blockHashDisplay(header);
    assert.equal(previous, expected[i]!.block_hash_display);
    assert.equal(expected[i]!.height, i + 1);
  }
});

for (const example of file.bip34_height_pushes.examples) {
  test(`BIP34 height ${example.height}: encode and decode`, () => {
    assert.equal(bytesToHex(encodeBip34Height(example.height)), example.push_hex);
    const push = hexToBytes(example.push_hex);
    assert.deepEqual(decodeBip34Height(push), { height: example.height, length: push.length });
    const scriptSig = example.scriptsig_prefix_hex ?? example.scriptsig_hex;
    if (scriptSig !== undefined) {
      assert.ok(scriptSig.startsWith(example.push_hex));
      assert.equal(decodeBip34Height(hexToBytes(scriptSig)).height, example.height);
    }
    if (typeof example.from === 'object' && example.from.tx_hex !== undefined) {
      const tx = parseTransaction(hexToBytes(example.from.tx_hex));
      assert.equal(toDisplayHex(txid(tx)), example.from.txid_display);
      assert.equal(decodeBip34Height(tx.inputs[0]!.script_sig).height, example.height);
    }
  });
}

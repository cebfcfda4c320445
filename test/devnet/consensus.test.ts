// Regtest consensus pieces checked against external data: the genesis block,
// BIP34 height pushes, script numbers, and block parsing plus BIP141
// commitment checks on a real mainnet block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { vectorPath } from '../helpers/paths.js';
import {
  REGTEST_BITS,
  REGTEST_GENESIS_HASH,
  bip34HeightScript,
  blockSubsidy,
  blockWork,
  difficulty,
  regtestGenesis,
  scriptNum,
} from '../../src/roles/devnet/consensus.js';
import { decodeBlock, merkleRoot } from '../../src/roles/devnet/block.js';
import { checkWitness } from '../../src/roles/devnet/validate.js';
import { toDisplayHex } from '../../src/bitcoin/index.js';

interface VectorBlock {
  height: number;
  merkle_root_display?: string;
  coinbase?: { hex?: string; txid_display?: string };
}
const vectors = JSON.parse(
  readFileSync(vectorPath('extracted', 'bitcoin', 'blocks_coinbases_bip34.json'), 'utf8'),
) as { blocks: VectorBlock[]; bip34_height_pushes: { examples: { height: number; push_hex: string }[] } };

test('the regtest genesis has Bitcoin Core regtest hash and the mainnet genesis coinbase', () => {
  const g = regtestGenesis();
  assert.equal(toDisplayHex(g.hash), REGTEST_GENESIS_HASH);
  const mainnet = vectors.blocks.find((b) => Number(b.height) === 0)!;
  assert.equal(g.txs[0]!.raw.toString('hex'), mainnet.coinbase!.hex);
  assert.equal(toDisplayHex(g.header.merkleRoot), mainnet.merkle_root_display);
  assert.equal(g.header.bits, REGTEST_BITS);
  // The rebuilt block decodes back to itself.
  assert.equal(toDisplayHex(decodeBlock(g.raw).hash), REGTEST_GENESIS_HASH);
});

test('BIP34 height pushes match real coinbases (CScript() << height)', () => {
  const examples = vectors.bip34_height_pushes.examples;
  assert.ok(examples.length >= 5);
  for (const e of examples)
    assert.equal(bip34HeightScript(Number(e.height)).toString('hex'), e.push_hex, `height ${e.height}`);
  // Small heights are opcodes, not pushes: OP_0, OP_1..OP_16.
  assert.deepEqual([...bip34HeightScript(0)], [0x00]);
  assert.deepEqual([...bip34HeightScript(1)], [0x51]);
  assert.deepEqual([...bip34HeightScript(16)], [0x60]);
});

test('script numbers encode minimally as bitcoinjs fixtures say', () => {
  const fixtures = JSON.parse(
    readFileSync(vectorPath('bitcoinjs-lib', 'test', 'fixtures', 'script_number.json'), 'utf8'),
  ) as { hex: string; number: number }[];
  let checked = 0;
  for (const f of fixtures) {
    if (!Number.isSafeInteger(f.number)) continue;
    assert.equal(scriptNum(f.number).toString('hex'), f.hex, `number ${f.number}`);
    checked++;
  }
  assert.ok(checked > 10);
});

test('subsidy halves every 150 blocks; regtest work and difficulty', () => {
  assert.equal(blockSubsidy(0), 5_000_000_000n);
  assert.equal(blockSubsidy(149), 5_000_000_000n);
  assert.equal(blockSubsidy(150), 2_500_000_000n);
  assert.equal(blockSubsidy(300), 1_250_000_000n);
  assert.equal(blockSubsidy(150 * 64), 0n);
  assert.equal(blockWork(REGTEST_BITS), 2n);
  assert.ok(difficulty(REGTEST_BITS) > 4.65e-10 && difficulty(REGTEST_BITS) < 4.66e-10);
});

test('a real segwit block decodes, its merkle root and witness commitment check out', () => {
  const dir = vectorPath('btcd', 'wire', 'testdata');
  const file = readdirSync(dir).find((f) => f.endsWith('.blk'))!;
  const raw = readFileSync(vectorPath('btcd', 'wire', 'testdata', file));
  const block = decodeBlock(raw);
  assert.equal(toDisplayHex(block.hash), file.replace(/^block-|\.blk$/g, ''));
  assert.ok(merkleRoot(block.txs.map((t) => t.txid)).equals(block.header.merkleRoot));
  assert.equal(checkWitness(block), null);
  // Changing one witness byte of any transaction breaks the commitment.
  const withWitness = block.txs.findIndex(
    (t, i) => i > 0 && t.tx.inputs.some((inp) => inp.witness.length > 0),
  );
  assert.ok(withWitness > 0);
  const tampered = Buffer.from(raw);
  const tx = block.txs[withWitness]!;
  const at = raw.indexOf(tx.raw) + tx.raw.length - 10;
  tampered[at] = tampered[at]! ^ 0xff;
  assert.equal(checkWitness(decodeBlock(tampered)), 'bad-witness-merkle-match');
});

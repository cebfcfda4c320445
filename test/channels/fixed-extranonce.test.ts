// CoinbasePayout.extranonce_fixed: bytes at the start of the extranonce (a
// job declarator client's upstream extranonce_prefix). Downstream jobs carry
// them at the end of coinbase_tx_prefix; the push counts them; the whole
// pushed extranonce is what the upstream sees as its full extranonce; without
// them the coinbase is what it always was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  concatBytes,
  hashMeetsTarget,
  parseTransaction,
  sha256d,
  u256FromLE,
  type TxOutput,
} from '../../src/bitcoin/index.js';
import { MiningChain, ServerConnectionChannels } from '../../src/channels/index.js';
import type { MessageByName } from '../../src/messages/index.js';
import {
  NOW,
  PAYOUT_SCRIPT,
  extendedHash,
  makeChain,
  openExtendedMsg,
  openStandardMsg,
  prevHash,
  template,
} from './fixture.js';

type ExtJob = MessageByName<'NewExtendedMiningJob'>;

function chainWith(fixed: Uint8Array | undefined, signature?: string): MiningChain {
  const chain = new MiningChain(signature === undefined ? {} : { pool_signature: signature }, (_key, t) => ({
    outputs: [{ value: t.coinbase_tx_value_remaining, script: PAYOUT_SCRIPT }] as TxOutput[],
    extranonce_fixed: fixed,
  }));
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  return chain;
}

function open(chain: MiningChain) {
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openExtended(openExtendedMsg(1), { ok: true, payout_key: 'pool' }, NOW);
  return {
    conn,
    success: out[0] as MessageByName<'OpenExtendedMiningChannelSuccess'>,
    job: out[1] as ExtJob,
  };
}

function scriptSig(job: ExtJob, extranonce: Uint8Array): Uint8Array {
  const tx = parseTransaction(concatBytes(job.coinbase_tx_prefix, extranonce, job.coinbase_tx_suffix));
  return tx.inputs[0]!.script_sig;
}

test('fixed bytes end the job prefix, the push counts them, and the upstream sees one full extranonce', () => {
  const fixed = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee);
  const { conn, success, job } = open(chainWith(fixed));
  const full = success.extranonce_prefix.length + success.extranonce_size;
  assert.deepEqual(job.coinbase_tx_prefix.subarray(-fixed.length), fixed);
  assert.equal(job.coinbase_tx_prefix[job.coinbase_tx_prefix.length - fixed.length - 1], fixed.length + full);
  const rolled = Uint8Array.from({ length: success.extranonce_size }, (_, i) => 0x10 + i);
  const downstream = concatBytes(success.extranonce_prefix, rolled);
  const sig = scriptSig(job, downstream);
  // scriptSig = head ‖ push(N) ‖ fixed ‖ channel extranonce: the tail is one push of N bytes.
  const pushed = concatBytes(fixed, downstream);
  assert.deepEqual(sig.subarray(sig.length - pushed.length), pushed);
  assert.equal(sig[sig.length - pushed.length - 1], pushed.length);
  // The upstream's split (prefix up to the push opcode, full extranonce = fixed ‖ downstream) is the same coinbase.
  const head = job.coinbase_tx_prefix.subarray(0, job.coinbase_tx_prefix.length - fixed.length);
  assert.deepEqual(
    sha256d(concatBytes(head, pushed, job.coinbase_tx_suffix)),
    sha256d(concatBytes(job.coinbase_tx_prefix, downstream, job.coinbase_tx_suffix)),
  );
  // Shares hash over the prefix with the fixed bytes.
  const target = u256FromLE(success.target);
  const prev = prevHash(1n).prev_hash;
  let nonce = 0;
  const share = { ntime: prevHash(1n).header_timestamp, version: job.version, nonce };
  while (!hashMeetsTarget(extendedHash(job, prev, prevHash(1n).nBits, [downstream], share), target))
    share.nonce = ++nonce;
  const v = conn.submitExtended(
    {
      type: 'SubmitSharesExtended',
      channel_id: success.channel_id,
      sequence_number: 1,
      job_id: job.job_id,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
      extranonce: rolled,
    },
    NOW + 1000,
  );
  assert.ok(v.accepted);
  assert.deepEqual(v.share.hash, extendedHash(job, prev, prevHash(1n).nBits, [downstream], share));
});

test('without fixed bytes (or with none) the coinbase is unchanged', () => {
  const chain = makeChain();
  chain.newTemplate(template(1n, true));
  chain.setNewPrevHash(prevHash(1n), NOW);
  const plain = open(chain).job;
  const absent = open(chainWith(undefined, '/Strata/')).job;
  const empty = open(chainWith(new Uint8Array(0), '/Strata/')).job;
  assert.deepEqual(absent.coinbase_tx_prefix, plain.coinbase_tx_prefix);
  assert.deepEqual(absent.coinbase_tx_suffix, plain.coinbase_tx_suffix);
  assert.deepEqual(empty.coinbase_tx_prefix, plain.coinbase_tx_prefix);
});

test('with fixed bytes the scriptSig still fits 100 bytes: the tag gives way', () => {
  const fixed = new Uint8Array(32).fill(7);
  const chain = chainWith(fixed, 'x'.repeat(70));
  const { success, job } = open(chain);
  const full = success.extranonce_prefix.length + success.extranonce_size;
  const sig = scriptSig(job, new Uint8Array(full));
  assert.equal(sig.length, 100);
  assert.deepEqual(sig.subarray(100 - full - 32, 100 - full), fixed);
  // Standard channels (zero-padded prefix) get the same layout.
  const conn = new ServerConnectionChannels(chain, { flags: 0 });
  const out = conn.openStandard(openStandardMsg(2), { ok: true, payout_key: 'pool' }, NOW);
  assert.equal(out[0]?.type, 'OpenStandardMiningChannelSuccess');
});

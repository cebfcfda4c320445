// Bitcoin layer hot paths: SHA256d of an 80-byte header and of a ~200-byte
// coinbase on @noble/hashes and on node:crypto (the faster one is what
// src/bitcoin/hash.ts uses), headers also on the plain-JS words of
// src/bitcoin/sha256-words.ts (what headerHash uses), and the extended-share path: assemble the
// coinbase, hash it, fold a 12-step merkle path, hash the header.
import { createHash } from 'node:crypto';
import { emit, opsPerSecond } from './harness.js';
import {
  assembleCoinbase,
  coinbaseTxid,
  foldMerklePath,
  headerHash,
  serializeHeader,
  sha256,
  sha256d,
  sha256dNoble,
} from '../src/bitcoin/index.js';
import { sha256dHeader } from '../src/bitcoin/sha256-words.js';

function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff;
  return out;
}

function createHashSha256d(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

export default async function (): Promise<void> {
  const header = filled(80, 1);
  const coinbase = filled(200, 2);
  const variants: [string, (d: Uint8Array) => Uint8Array][] = [
    ['noble', sha256dNoble],
    ['node:crypto createHash', createHashSha256d],
    ['node:crypto hash (used, not for headers)', sha256d],
  ];
  for (const [impl, fn] of variants) {
    emit({ bench: 'bitcoin.sha256d.header80', value: opsPerSecond(() => fn(header)), unit: 'ops/s', impl });
    emit({
      bench: 'bitcoin.sha256d.coinbase200',
      value: opsPerSecond(() => fn(coinbase)),
      unit: 'ops/s',
      impl,
    });
  }
  emit({
    bench: 'bitcoin.sha256d.header80',
    value: opsPerSecond(() => sha256dHeader(header)),
    unit: 'ops/s',
    impl: 'sha256-words (used for headers)',
  });
  emit({ bench: 'bitcoin.headerHash', value: opsPerSecond(() => headerHash(header)), unit: 'ops/s' });

  // A mainnet-sized extended job: ~200-byte coinbase split around 8+8 extranonce bytes, 12 siblings.
  const prefix = coinbase.subarray(0, 60);
  const suffix = coinbase.subarray(76);
  const extranoncePrefix = filled(8, 3);
  const path = Array.from({ length: 12 }, (_, i) => sha256(Uint8Array.of(i)));
  const prevHash = filled(32, 4);
  let nonce = 0;
  emit({
    bench: 'bitcoin.coinbase_merkle_fold12',
    value: opsPerSecond(() => {
      const extranonce = filled(8, nonce++ & 0xff);
      foldMerklePath(sha256d(assembleCoinbase(prefix, [extranoncePrefix, extranonce], suffix)), path);
    }),
    unit: 'ops/s',
  });
  emit({
    bench: 'bitcoin.extended_share_hash',
    value: opsPerSecond(() => {
      const extranonce = filled(8, nonce & 0xff);
      const root = foldMerklePath(coinbaseTxid(prefix, [extranoncePrefix, extranonce], suffix), path);
      headerHash(
        serializeHeader({
          version: 0x20000000,
          prev_hash: prevHash,
          merkle_root: root,
          time: 1,
          bits: 2,
          nonce: nonce++,
        }),
      );
    }),
    unit: 'ops/s',
  });
}

// Single-thread header hashes per second for the CPU miner: node:crypto's
// one-shot hash, @noble/hashes, and the miner's own SHA-256 with the first
// header block's midstate cached (what the worker threads run), the full
// search loop (hash + target check) on one thread, and the threaded engine.
import { hash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { emit, opsPerSecond } from './harness.js';
import { HeaderHasher, targetWords } from '../src/roles/miner/sha256.js';
import { RangeSearch } from '../src/roles/miner/search.js';
import { defaultThreads, HashEngine, measureHashrate } from '../src/roles/miner/engine.js';

export default async function (): Promise<void> {
  const header = Uint8Array.from({ length: 80 }, (_, i) => (i * 37 + 11) & 0xff);
  const view = new DataView(header.buffer);
  let nonce = 0;

  emit({
    bench: 'miner.header_hash',
    impl: 'node:crypto hash()',
    value: opsPerSecond(() => {
      view.setUint32(76, nonce++, true);
      hash('sha256', hash('sha256', header, 'buffer'), 'buffer');
    }),
    unit: 'hashes/s',
  });
  emit({
    bench: 'miner.header_hash',
    impl: 'noble',
    value: opsPerSecond(() => {
      view.setUint32(76, nonce++, true);
      sha256(sha256(header));
    }),
    unit: 'hashes/s',
  });
  // noble with a midstate: clone the state after the first 64 bytes.
  const mid = sha256.create().update(header.subarray(0, 64));
  emit({
    bench: 'miner.header_hash',
    impl: 'noble midstate',
    value: opsPerSecond(() => {
      view.setUint32(76, nonce++, true);
      sha256(mid.clone().update(header.subarray(64)).digest());
    }),
    unit: 'hashes/s',
  });
  const hasher = new HeaderHasher();
  hasher.setHeader(header);
  const never = targetWords(new Uint8Array(32));
  emit({
    bench: 'miner.header_hash',
    impl: 'own sha256 midstate (used)',
    value: opsPerSecond(() => {
      hasher.hashNonce(nonce++);
      hasher.meets(never);
    }),
    unit: 'hashes/s',
  });

  const search = new RangeSearch({
    id: 1,
    header,
    target: new Uint8Array(32),
    versionMask: 0x1fffffe0,
    ntimeBase: 0,
    ntimeAnchorMs: 0,
  });
  const t0 = performance.now();
  let done = 0;
  while (performance.now() - t0 < 1000) done += search.step(4096, 0).hashes;
  emit({
    bench: 'miner.search_one_thread',
    value: Math.round((done * 1000) / (performance.now() - t0)),
    unit: 'hashes/s',
  });

  // The whole device: worker threads (cores - 1) on a target nothing meets.
  const engine = new HashEngine({ threads: defaultThreads(), onShare: () => {} });
  try {
    await engine.start();
    emit({
      bench: 'miner.engine',
      value: Math.round(await measureHashrate(engine, 2000)),
      unit: 'hashes/s',
      threads: engine.threads,
    });
  } finally {
    await engine.stop();
  }
}

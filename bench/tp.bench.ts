// Template provider latency: from a new tip on the node (generatetoaddress on
// a devnet process) to the SetNewPrevHash a TDP client receives through a
// `strata tp` process, over 100 blocks. The clock starts just before the
// generatetoaddress call, so each sample includes that RPC's own round trip.
import { rmSync } from 'node:fs';
import { fromDisplayHex, equalBytes } from '../src/bitcoin/index.js';
import { emit, percentiles } from './harness.js';
import {
  PAYOUT_ADDRESS,
  connectClient,
  makeKeys,
  startDevnet,
  startTp,
  tempDir,
  type DevnetProcess,
} from '../test/tp/fixture.js';

const BLOCKS = 100;
/** Unmeasured blocks first, so JIT warm-up is not counted as latency. */
const WARMUP = 5;

export default async function (): Promise<void> {
  const dir = tempDir(undefined, 'strata-tp-bench-');
  let devnet: DevnetProcess | undefined;
  let tp: Awaited<ReturnType<typeof startTp>> | undefined;
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    devnet = await startDevnet(dir);
    const keys = makeKeys(dir);
    tp = await startTp(devnet, keys);
    client = await connectClient(undefined, tp.port, keys);
    await client.nextPrevHash();
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + BLOCKS; i++) {
      const start = performance.now();
      const [hash] = await devnet.rpc.generatetoaddress(1, PAYOUT_ADDRESS);
      const want = fromDisplayHex(hash!);
      // Bounded: a SetNewPrevHash for another tip would be a bug, not a wait.
      let prev = await client.nextPrevHash();
      for (let j = 0; j < 3 && !equalBytes(prev.prev_hash, want); j++) prev = await client.nextPrevHash();
      if (!equalBytes(prev.prev_hash, want)) throw new Error('SetNewPrevHash for an unexpected tip');
      if (i >= WARMUP) samples.push(performance.now() - start);
    }
    const { median, p99 } = percentiles(samples);
    const round = (v: number) => Math.round(v * 100) / 100;
    emit({ bench: 'tp.new_tip_to_setnewprevhash.median', value: round(median), unit: 'ms', blocks: BLOCKS });
    emit({ bench: 'tp.new_tip_to_setnewprevhash.p99', value: round(p99), unit: 'ms', blocks: BLOCKS });
  } finally {
    await client?.client.close();
    await tp?.proc.stop();
    await devnet?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

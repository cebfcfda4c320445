// Job declarator client: new template → downstream job. A devnet with
// synthetic transactions, the JDC's own `strata tp`, `strata jdc` (solo: the
// latency of its own path, without a pool's round trip), an SV2 device on the
// JDC, and a TDP client on the same tp as the stopwatch. Each round mines a
// block on the devnet; the tp sends the new template and its prev hash to
// both; the figure is the time from the stopwatch's SetNewPrevHash to the
// device's SetNewPrevHash (both on this machine's clock).
import { join } from 'node:path';
import { writeAuthorityKeyPair } from '../src/roles/keygen.js';
import { emit, percentiles } from './harness.js';
import { MiningClient } from '../test/pool/fixture.js';
import { roleArgv, startNode, waitReady } from '../test/helpers/process.js';
import { tempDir, type Cleanup } from '../test/helpers/resources.js';
import { connectClient, makeKeys, startDevnet, startTp } from '../test/tp/fixture.js';
import { JDC_ADDRESS } from '../test/jdc/fixture.js';

const ROUNDS = 40;
const WARMUP = 3;

export default async function (): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const scope: Cleanup = { after: (fn) => cleanups.push(fn) };
  try {
    const dir = tempDir(scope, 'strata-jdc-bench-');
    const devnet = await startDevnet(join(dir, 'devnet'), 0, ['--tx-rate', '3000']);
    scope.after(() => devnet.proc.stop());
    const tpKeys = makeKeys(dir);
    const tp = await startTp(devnet, tpKeys);
    scope.after(() => tp.proc.stop());
    const jdcKeys = writeAuthorityKeyPair({ outDir: dir, name: 'jdc-authority', force: false });
    const jdc = startNode(
      roleArgv('jdc', [
        '--listen',
        '127.0.0.1:0',
        '--tp-address',
        `127.0.0.1:${tp.port}`,
        '--tp-public-key',
        tpKeys.publicPath,
        '--authority-secret-key',
        jdcKeys.secretPath,
        '--authority-public-key',
        jdcKeys.publicPath,
        '--network',
        'devnet',
        '--coinbase-reward-script',
        JDC_ADDRESS,
        '--solo',
      ]),
    );
    scope.after(() => jdc.stop());
    const ready = await waitReady(jdc, (r) => r.msg === 'job declarator client ready');
    const watch = await connectClient(undefined, tp.port, tpKeys);
    scope.after(() => watch.client.close());
    const device = await MiningClient.connect(scope, Number(ready.port), jdcKeys);
    await device.setup();
    const open = await device.openExtended('bench.dev', 1e6);
    if (open.type !== 'OpenExtendedMiningChannelSuccess') throw new Error('the JDC refused the channel');
    await device.tipWhere(() => true, 30_000);

    const samples: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const before = device.prev!.prev_hash;
      const seen = watch.nextPrevHash(30_000).then(() => performance.now());
      await devnet.rpc.call('generatetoaddress', [1, JDC_ADDRESS]);
      const at = await seen;
      await device.tipWhere((m) => !Buffer.from(m.prev_hash).equals(Buffer.from(before)), 30_000);
      const ms = performance.now() - at;
      if (round >= WARMUP) samples.push(ms);
    }
    const p = percentiles(samples);
    emit({ bench: 'jdc new tip → downstream SetNewPrevHash, median', value: round2(p.median), unit: 'ms' });
    emit({ bench: 'jdc new tip → downstream SetNewPrevHash, p99', value: round2(p.p99), unit: 'ms' });
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;

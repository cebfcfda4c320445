// The whole job declaration stack as processes for the JDC tests: a devnet
// with synthetic mempool transactions, the pool's tp and the JDC's own tp on
// it, a pool with [job_declaration], a JDS, a JDC, and (optionally) a
// translator behind the JDC; every process is stopped when the test ends.
import { join } from 'node:path';
import { NETWORKS, addressToScript } from '../../src/bitcoin/index.js';
import { writeAuthorityKeyPair, writeTokenSecret } from '../../src/roles/keygen.js';
import { roleArgv, startNode, waitReady, type RoleProcess } from '../helpers/process.js';
import { tempDir, type Cleanup } from '../helpers/resources.js';
import { startTranslatorProcess } from '../translator/fixture.js';
import {
  POOL_ADDRESS,
  poolAccountCli,
  poolArgs,
  regtestAddress,
  type PoolProcess,
  type Stack,
} from '../pool/fixture.js';
import { makeKeys, startDevnet, startTp, type Keys } from '../tp/fixture.js';

export { POOL_ADDRESS };

/** The JDC's own payout address (solo mining). */
export const JDC_ADDRESS = regtestAddress(0x3c);
export const JDC_SCRIPT = addressToScript(JDC_ADDRESS, NETWORKS.regtest);
export const POOL_SCRIPT = addressToScript(POOL_ADDRESS, NETWORKS.regtest);
/** The pool account the JDC's channel and its miners are credited to. */
export const ACCOUNT = 'home';

export interface JdStack extends Stack {
  /** The JDC's own template provider (on the same devnet). */
  jdcTp: { proc: RoleProcess; port: number };
  jdcKeys: Keys;
  secretFile: string;
}

export interface Proc {
  proc: RoleProcess;
  port: number;
}

/** devnet (synthetic transactions) + two tps + keys, token secret and the pool account. */
export async function startJdStack(t: Cleanup, txPerMinute = 600): Promise<JdStack> {
  const dir = tempDir(t, 'strata-jdc-');
  const devnet = await startDevnet(join(dir, 'devnet'), 0, ['--tx-rate', String(txPerMinute)]);
  t.after(() => devnet.proc.stop());
  const tpKeys = makeKeys(dir);
  const tp = await startTp(devnet, tpKeys);
  t.after(() => tp.proc.stop());
  const jdcTp = await startTp(devnet, tpKeys);
  t.after(() => jdcTp.proc.stop());
  const poolKeys = writeAuthorityKeyPair({ outDir: dir, name: 'pool-authority', force: false });
  const jdcKeys = writeAuthorityKeyPair({ outDir: dir, name: 'jdc-authority', force: false });
  const secretFile = writeTokenSecret({ file: join(dir, 'jd-token.key'), force: false });
  const s: JdStack = {
    dir,
    db: join(dir, 'pool.db'),
    devnet,
    tp,
    tpKeys,
    poolKeys,
    jdcTp,
    jdcKeys,
    secretFile,
  };
  poolAccountCli(['add', ACCOUNT, '--database', s.db]);
  return s;
}

/** The pool with job declaration on (PPLNS, node RPC for block statuses); `port` reuses a port after a restart. */
export async function startJdPool(t: Cleanup, s: JdStack, port = 0): Promise<PoolProcess> {
  const args = poolArgs(s, [
    '--payout-mode',
    'pplns',
    '--job-declaration',
    'true',
    '--jd-token-secret',
    s.secretFile,
    '--rpc-url',
    s.devnet.url,
    '--rpc-cookie',
    s.devnet.cookie,
    '--web',
    'false',
  ]).map((a) => (a === '127.0.0.1:0' && port !== 0 ? `127.0.0.1:${port}` : a));
  const proc = startNode(roleArgv('pool', args));
  t.after(() => proc.stop());
  const ready = await waitReady(proc, (r) => r.msg === 'pool ready');
  await proc.waitFor((r) => r.msg === 'new tip');
  return { proc, port: Number(ready.port) };
}

export async function startJds(t: Cleanup, s: JdStack, extra: string[] = []): Promise<Proc> {
  const proc = startNode(
    roleArgv('jds', [
      '--listen',
      '127.0.0.1:0',
      '--rpc-url',
      s.devnet.url,
      '--rpc-cookie',
      s.devnet.cookie,
      '--authority-secret-key',
      s.poolKeys.secretPath,
      '--authority-public-key',
      s.poolKeys.publicPath,
      '--network',
      'devnet',
      '--coinbase-reward-script',
      POOL_ADDRESS,
      '--token-secret-file',
      s.secretFile,
      ...extra,
    ]),
  );
  t.after(() => proc.stop());
  const ready = await waitReady(proc, (r) => r.msg === 'job declarator server ready');
  await proc.waitFor((r) => r.msg === 'mempool mirror loaded');
  return { proc, port: Number(ready.port) };
}

export async function startJdc(
  t: Cleanup,
  s: JdStack,
  upstream: { pool: number; jds: number } | undefined,
  extra: string[] = [],
): Promise<Proc> {
  const up =
    upstream === undefined
      ? ['--solo']
      : [
          '--pool-address',
          `127.0.0.1:${upstream.pool}`,
          '--jds-address',
          `127.0.0.1:${upstream.jds}`,
          '--pool-authority-pubkey',
          s.poolKeys.publicPath,
        ];
  const proc = startNode(
    roleArgv('jdc', [
      '--listen',
      '127.0.0.1:0',
      '--tp-address',
      `127.0.0.1:${s.jdcTp.port}`,
      '--tp-public-key',
      s.tpKeys.publicPath,
      '--authority-secret-key',
      s.jdcKeys.secretPath,
      '--authority-public-key',
      s.jdcKeys.publicPath,
      '--network',
      'devnet',
      '--coinbase-reward-script',
      JDC_ADDRESS,
      '--user-identity',
      `${ACCOUNT}.jdc`,
      '--retry-interval',
      '2',
      ...up,
      ...extra,
    ]),
  );
  t.after(() => proc.stop());
  const ready = await waitReady(proc, (r) => r.msg === 'job declarator client ready');
  return { proc, port: Number(ready.port) };
}

/** A translator whose upstream is the JDC; its SV1 port. */
export async function startTranslatorOnJdc(t: Cleanup, s: JdStack, jdcPort: number): Promise<Proc> {
  const { proc, port } = await startTranslatorProcess(t, jdcPort, s.jdcKeys.publicPath, [
    '--verify-accounts',
    'false',
  ]);
  await proc.waitFor((r) => r.msg === 'upstream channel open');
  return { proc, port };
}

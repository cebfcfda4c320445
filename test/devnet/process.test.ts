// `strata devnet` as a real process on a random port, driven with the RPC
// client: start, mine, stop by RPC, restart on the same data dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { startRole, type RoleProcess } from '../helpers/process.js';
import { BitcoinRpc } from '../../src/rpc/index.js';
import { PAYOUT_ADDRESS, mineOne, tempDir } from './fixture.js';

function startDevnetProcess(args: string[]): RoleProcess {
  return startRole(['devnet', ...args]);
}

test('strata devnet runs as a process and answers the RPC client', async (t) => {
  const dir = tempDir(t);
  const args = ['--rpc-port', '0', '--data-dir', dir];
  const first = startDevnetProcess(args);
  t.after(() => first.kill());
  const banner = await first.waitFor((r) => typeof r.msg === 'string' && r.msg.includes('development node'));
  assert.equal(banner.role, 'devnet');
  const listening = await first.waitFor((r) => r.msg === 'listening');
  assert.equal(listening.host, '127.0.0.1');
  assert.ok(typeof listening.port === 'number' && listening.port > 0);
  const rpc = new BitcoinRpc({
    url: `http://127.0.0.1:${listening.port}`,
    auth: { cookieFile: join(dir, '.cookie') },
    retry: { attempts: 1 },
  });
  const info = await rpc.getblockchaininfo();
  assert.equal(info.chain, 'regtest');
  assert.equal((await mineOne(rpc)).result, null);
  await rpc.call('generatetoaddress', [2, PAYOUT_ADDRESS]);
  const tip = await rpc.getbestblockhash();
  await first.waitFor((r) => r.msg === 'block accepted' && r.height === 3);

  assert.equal(await rpc.call('stop', []), 'Strata devnet stopping');
  await first.waitFor((r) => r.msg === 'stopped');
  assert.equal(await first.stop(), 0);
  assert.equal(existsSync(join(dir, '.cookie')), false);

  const second = startDevnetProcess(args);
  t.after(() => second.kill());
  const again = await second.waitFor((r) => r.msg === 'listening');
  const rpc2 = new BitcoinRpc({
    url: `http://127.0.0.1:${String(again.port)}`,
    auth: { cookieFile: join(dir, '.cookie') },
    retry: { attempts: 1 },
  });
  assert.equal(await rpc2.getbestblockhash(), tip);
  assert.equal(await rpc2.getblockcount(), 3);
  assert.equal(await second.stop(), 0);
});

test('strata devnet --help says it is a development node', () => {
  const out = execFileSync(process.execPath, [CLI, 'devnet', '--help'], { encoding: 'utf8' });
  assert.match(out, /development node/);
  assert.match(out, /--rpc-port/);
  assert.match(out, /--data-dir/);
});

// `strata devnet` as a real process on a random port, driven with the RPC
// client: start, mine, stop by RPC, restart on the same data dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI, ROOT } from '../helpers/paths.js';
import { startRole, type RoleProcess } from '../helpers/process.js';
import { BitcoinRpc } from '../../src/rpc/index.js';
import { PAYOUT_ADDRESS, mineOne, tempDir } from './fixture.js';

const wired = /\bdevnet\b/.test(execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }));

/**
 * Until `strata` lists the devnet command, run the same registration through
 * a one-line entry point, so the process behaviour is tested either way.
 */
function startDevnetProcess(args: string[]): RoleProcess {
  if (wired) return startRole(['devnet', ...args]);
  const entry = [
    "import { Command } from 'commander';",
    "import { registerDevnet } from './dist/src/roles/devnet/index.js';",
    'const p = new Command(); registerDevnet(p); await p.parseAsync(process.argv);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', entry, 'strata', 'devnet', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const waiters: {
    pred: (r: Record<string, unknown>) => boolean;
    resolve: (r: Record<string, unknown>) => void;
  }[] = [];
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (c, s) => resolve(c ?? s)),
  );
  const onLine = (line: string) => {
    lines.push(line);
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      records.push(rec);
      for (const w of [...waiters]) if (w.pred(rec)) w.resolve(rec);
    } catch {
      // not a log record
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const stopWith = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return exited;
  };
  return {
    child,
    lines,
    records,
    waitFor(pred, timeoutMs = 20_000) {
      const found = records.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no such record; output:\n${lines.join('\n')}`)),
          timeoutMs,
        );
        void exited.then(() => reject(new Error(`exited; output:\n${lines.join('\n')}`)));
        waiters.push({
          pred,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

test(`strata devnet runs as a process and answers the RPC client (${wired ? 'strata CLI' : 'registered command'})`, async (t) => {
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
  assert.equal(await first.waitFor((r) => r.msg === 'stopped').then(() => 'stopped'), 'stopped');
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
  const out = wired
    ? execFileSync(process.execPath, [CLI, 'devnet', '--help'], { encoding: 'utf8' })
    : execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { Command } from 'commander'; import { registerDevnet } from './dist/src/roles/devnet/index.js'; const p = new Command('strata'); registerDevnet(p); await p.parseAsync(process.argv);",
          'strata',
          'devnet',
          '--help',
        ],
        { encoding: 'utf8', cwd: ROOT },
      );
  assert.match(out, /development node/);
  assert.match(out, /--rpc-port/);
  assert.match(out, /--data-dir/);
});

// Home-miner device classes on the default translator (ASIC port, vardiff
// on) as real processes: devnet + tp + pool + translator, with `strata
// miner --sv1` standing in for a NerdMiner (its user agent, its float
// suggestion, 100 kH/s) and for cpuminer (its user agent, full speed). Each
// gets its family's start and an accepted share; the seconds to the first
// one are printed (the bound of a minute is asserted on the simulation in
// test/sv1/devices.test.ts, not on a shared machine's clock). The ASIC
// families cannot hash here: their handshakes check the difficulty they get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRole } from '../helpers/process.js';
import { poolAccountCli, startPool, startStack } from '../pool/fixture.js';
import { V1Client } from './v1-client.js';
import { eventually, startTranslatorProcess } from './fixture.js';

test(
  'device classes on the default port: NerdMiner and cpuminer get accepted shares; ASIC firmware gets its start',
  { timeout: 240_000 },
  async (t) => {
    const s = await startStack(t);
    poolAccountCli(['add', 'home', '--database', s.db]);
    poolAccountCli(['add', 'strata-translator', '--database', s.db]);
    const pool = await startPool(t, s, ['--payout-mode', 'pplns', '--web', 'false']);
    const {
      proc: translator,
      port,
      listening,
    } = await startTranslatorProcess(t, pool.port, s.poolKeys.publicPath);
    assert.equal(listening.kind, 'asic', 'the default port');
    await translator.waitFor((r) => r.msg === 'upstream channel open');

    const devices = [
      {
        name: 'NerdMiner',
        user: 'home.nerd',
        args: [
          '--user-agent',
          'NerdMinerV2/1.8.3',
          '--suggest-difficulty',
          '0.00015',
          '--max-hashrate',
          '100000',
        ],
        // Its family's start, then its own suggestion (which may land before or after the first share).
        difficulties: [0.0001, 0.00015],
      },
      { name: 'cpuminer', user: 'home.cpu', args: ['--user-agent', 'cpuminer/2.5.1'], difficulties: [0.001] },
    ];
    const miners = devices.map((d) => {
      const proc = startRole([
        'miner',
        '--sv1',
        '--pool',
        `127.0.0.1:${port}`,
        '--user',
        d.user,
        '--threads',
        '1',
        '--report-interval',
        '5',
        ...d.args,
      ]);
      t.after(() => proc.stop());
      return proc;
    });
    const rows: string[] = [];
    for (const [i, d] of devices.entries()) {
      const first = await miners[i]!.waitFor((r) => r.msg === 'first share accepted', 180_000);
      assert.equal(typeof first.seconds, 'number');
      // Vardiff may have moved it on by the first share; it starts at the family's value.
      const difficulty = Number(first.difficulty);
      assert.ok(
        d.difficulties.some((x) => Math.abs(difficulty - x) / x < 0.25) || difficulty < d.difficulties[0]!,
        `${d.name}: first share at difficulty ${difficulty}`,
      );
      rows.push(
        `${d.name}: first accepted share after ${String(first.seconds)} s at difficulty ${difficulty}`,
      );
    }
    console.log(rows.join('\n'));

    // Whole-number firmware: the start of each family, and ESP-Miner's own suggestion.
    const starts: [string, number, number | undefined][] = [
      ['bitaxe/BM1370/v2.9.0', 512, 1000],
      ['NerdQAxe++/BM1370/v1.0.30', 512, 1000],
      ['cgminer/4.11.1', 8192, undefined],
      ['bmminer/2.0.0', 16384, undefined],
      ['whatsminer/v1.0', 16384, undefined],
      ['FooMiner/1.0', 16384, undefined],
    ];
    for (const [agent, start, suggestion] of starts) {
      const c = await V1Client.connect(port);
      t.after(() => c.close());
      await c.request('mining.subscribe', [agent]);
      await c.request('mining.authorize', ['home.asic', 'x']);
      await c.until(() => c.notify !== undefined);
      assert.equal(c.difficulty, start, agent);
      if (suggestion !== undefined) {
        const before = c.notifies.length;
        await c.request('mining.suggest_difficulty', [suggestion]);
        // A new job from the pool may cross the request; the suggestion comes with a notify of its own.
        await eventually(
          () => c.difficulty === suggestion && c.notifies.length > before,
          `${agent}: difficulty ${String(suggestion)} and a notify after its suggestion`,
        );
      }
      c.close();
    }
  },
);

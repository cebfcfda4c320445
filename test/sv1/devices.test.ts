// Device profiles from user agents, one miner's difficulty rules, and every
// device class a home miner owns on the default ASIC port, simulated in
// virtual time with the translator's own difficulty code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASIC_PORT, CPU_PORT, MinerDifficulty, deviceProfile } from '../../src/sv1/index.js';
import { DEVICE_CLASSES, quantile, runDevice } from './device-sim.js';

/** The default ASIC port: 10 TH/s assumed at 6 shares a minute, rounded down to a power of two. */
const DEFAULT_PORT = { ...ASIC_PORT, start: 16384 };

test('device profiles: family, start difficulty and whole-number firmware', () => {
  const cases: [string, string, number | undefined, boolean][] = [
    ['bitaxe/BM1370/v2.9.0', 'Bitaxe', 512, true],
    ['bitaxe BM1366', 'Bitaxe', 512, true],
    ['NerdQAxe++/BM1370/v1.0.30', 'NerdAxe', 512, true],
    ['LuckyMiner BM1366', 'LuckyMiner', 512, true],
    ['NerdMinerV2/1.8.3', 'NerdMiner', 0.0001, false],
    ['NerdMinerV2', 'NerdMiner', 0.0001, false],
    ['HAN_SOLOminer/1.8.3', 'NerdMiner', 0.0001, false],
    ['bmminer/2.0.0', 'Antminer', 16384, true],
    ['bosminer/23.03', 'Braiins OS', 16384, true],
    ['whatsminer/v1.0', 'Whatsminer', 16384, true],
    ['cgminer/4.11.1', 'cgminer', 8192, true],
    ['cpuminer/2.5.1', 'cpuminer', 0.001, false],
    ['cpuminer-opt/23.15', 'cpuminer', 0.001, false],
    ['strata-miner/0.1.0', 'Strata miner', 0.001, false],
    ['FooMiner/1.0', 'FooMiner', undefined, false],
  ];
  for (const [ua, family, start, integerOnly] of cases) {
    const p = deviceProfile(ua);
    assert.equal(p.family, family, ua);
    assert.equal(p.start, start, ua);
    assert.equal(p.integerOnly, integerOnly, ua);
  }
  assert.equal(deviceProfile('').family, 'unknown');
  assert.equal(deviceProfile(undefined).start, undefined);
});

test('miner difficulty: the agent sets the start, requests win, whole numbers where firmware needs them', () => {
  const nerd = new MinerDifficulty(DEFAULT_PORT, {}, 0);
  assert.equal(nerd.current, 16384, 'before subscribe: the port start');
  assert.equal(nerd.identify('NerdMinerV2/1.8.3', 0), 0.0001);
  assert.equal(nerd.suggest(0.00015, 0), 0.00015, 'fractions for firmware that asks for them');
  assert.equal(nerd.suggest(0.00015, 30_000), undefined, 'the 30 s keep-alive repeat changes nothing');

  const axe = new MinerDifficulty(DEFAULT_PORT, {}, 0);
  assert.equal(axe.identify('bitaxe/BM1370/v2.9.0', 0), 512);
  assert.equal(axe.suggest(1000, 0), 1000, 'a suggestion is the new start, not rounded to a power of two');
  assert.equal(axe.suggest(0.5, 0), 1, 'ESP-Miner reads difficulties as integers: never below 1');

  const unknown = new MinerDifficulty(DEFAULT_PORT, {}, 0);
  assert.equal(unknown.identify('FooMiner/1.0', 0), undefined, 'unknown agents keep the port start');
  assert.equal(unknown.integer, true);
  assert.equal(unknown.suggest(0.01, 0), 0.01, 'a miner that asks for a fraction reads one');

  const pinned = new MinerDifficulty(DEFAULT_PORT, {}, 0);
  pinned.identify('cgminer/4.11.1', 0);
  assert.equal(pinned.password(100_000, 0), 100_000, 'd=N is used as given');
  assert.equal(pinned.retarget(61_000), undefined, 'vardiff never goes below d=N');
  assert.equal(pinned.current, 100_000);

  const early = new MinerDifficulty(DEFAULT_PORT, {}, 0);
  assert.equal(early.password(0.01, 0), 0.01, 'd= before subscribe');
  assert.equal(early.identify('cgminer/4.11.1', 0), 1, 'the agent cannot undo it, only make it whole');

  const cpu = new MinerDifficulty(CPU_PORT, {}, 0);
  assert.equal(cpu.identify('FooMiner/1.0', 0), undefined);
  assert.equal(cpu.current, 0.001, 'a CPU port starts unknown agents at its own start');
  assert.equal(cpu.identify('bitaxe/BM1370/v2.9.0', 0), 512, 'a Bitaxe on a CPU port still gets its start');

  const fixed = new MinerDifficulty(DEFAULT_PORT, false, 0);
  fixed.identify('bitaxe/BM1370/v2.9.0', 0);
  assert.equal(fixed.suggest(1000, 0), undefined, 'vardiff off: the pool decides, suggestions are ignored');
  assert.equal(
    fixed.upstream(3000.5, 0),
    2048,
    "the pool's difficulty, as a power of two on whole-number firmware",
  );
  assert.equal(fixed.minimum(4096, 0), 4096, 'a minimum still holds');
  assert.equal(fixed.upstream(100, 0), undefined, 'and the pool cannot go below it');

  // A regtest-like chain: the pool's easiest target (difficulty 2.33e-10) is easier than the
  // network's (4.66e-10); a miner reading fractions follows it below the port's lowest (1e-8).
  const easiest = 0xffff / 2 ** 48;
  const follows = new MinerDifficulty(CPU_PORT, false, 0);
  follows.identify('cpuminer/2.5.1', 0);
  assert.equal(follows.upstream(easiest, 0), easiest, "vardiff off, fractions: the pool's value as it is");
  assert.equal(follows.upstream(0.5, 0), 0.5, 'and back up');
  const whole = new MinerDifficulty(DEFAULT_PORT, false, 0);
  whole.identify('bitaxe/BM1370/v2.9.0', 0);
  assert.equal(whole.upstream(easiest, 0), 1, 'whole-number firmware still gets 1 at least');
});

test('every device class gets its first share within a minute on the default port, without flooding', () => {
  const spm = 6;
  const rows: string[] = [];
  for (const device of DEVICE_CLASSES) {
    const first: number[] = [];
    const peak: number[] = [];
    const ratio: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const r = runDevice(device, DEFAULT_PORT, spm, 300, seed);
      first.push(r.firstShare);
      peak.push(r.peakRate);
      ratio.push(r.finalDifficulty / r.idealDifficulty);
    }
    const p99 = quantile(first, 0.99);
    rows.push(
      `${device.name}: first share p50 ${quantile(first, 0.5).toFixed(1)} s, p99 ${p99.toFixed(1)} s`,
    );
    assert.ok(p99 <= 60, `${device.name}: 99th percentile of the first share at ${p99} s`);
    // The translator disconnects above 50 submits/s: the start never comes close.
    assert.ok(quantile(peak, 0.99) <= 25, `${device.name}: peak ${quantile(peak, 0.99)} shares/s`);
    // After 5 minutes vardiff has brought each device near its own rate.
    const mid = quantile(ratio, 0.5);
    assert.ok(mid >= 0.25 && mid <= 4, `${device.name}: final difficulty ${mid}× the ideal one`);
  }
  console.log(rows.join('\n'));
});

// Deterministic simulation helpers: a seeded PRNG and a device finding shares
// as a Poisson process at the rate its target implies.
import { hashrateToTarget } from '../../src/bitcoin/index.js';
import { Vardiff, hashesPerShare } from '../../src/channels/index.js';

/** mulberry32: small, fast and good enough for simulations. */
export function seededRandom(seed: number): () => number {
  // Spread nearby seeds apart and skip the first outputs, which correlate for small seeds.
  let a = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

export interface SimResult {
  /** Shares per minute the final target gives the device, on average. */
  final_rate: number;
  /** Same at each whole minute. */
  rates_by_minute: number[];
  retargets: number;
}

/**
 * Runs a device of `hashrate` H/s that declared `declared` H/s for `minutes`
 * simulated minutes; evaluate() runs after every share and every `tick_ms`.
 */
export function simulateVardiff(
  hashrate: number,
  declared: number,
  shares_per_minute: number,
  minutes: number,
  seed: number,
  tick_ms = 5000,
): SimResult {
  const random = seededRandom(seed);
  let target = hashrateToTarget(declared, shares_per_minute);
  const vardiff = new Vardiff({ shares_per_minute, min_hashrate: 1 }, declared, target, 0);
  const shareGap = () => (-Math.log(1 - random()) / (hashrate / hashesPerShare(target))) * 1000;
  let now = 0;
  let nextShare = shareGap();
  let nextTick = tick_ms;
  let nextMinute = 60_000;
  const end = minutes * 60_000;
  const rates: number[] = [];
  let retargets = 0;
  const rateNow = () => (hashrate * 60) / hashesPerShare(target);
  for (let steps = 0; steps < 5_000_000 && now < end; steps++) {
    const share = nextShare <= nextTick && nextShare <= nextMinute;
    const minute = !share && nextMinute <= nextTick;
    now = share ? nextShare : minute ? nextMinute : nextTick;
    if (now > end) break;
    if (minute) {
      rates.push(rateNow());
      nextMinute += 60_000;
      continue;
    }
    if (share) vardiff.recordShare(now);
    else nextTick += tick_ms;
    const next = vardiff.evaluate(now);
    if (next !== null) {
      target = hashrateToTarget(next, shares_per_minute);
      vardiff.setTarget(target, now);
      retargets++;
      nextShare = now + shareGap(); // memoryless: redraw at the new target
    } else if (share) {
      nextShare = now + shareGap();
    }
  }
  return { final_rate: rateNow(), rates_by_minute: rates, retargets };
}

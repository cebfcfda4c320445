// A V1 device on a translator port, simulated in virtual time: it announces
// its user agent (and what its firmware suggests), then finds shares as a
// Poisson process at the rate its hashrate and current difficulty imply.
// The difficulty comes from the translator's own MinerDifficulty, ticked as
// the translator ticks it, so the figures are those of the real policy.
import { MinerDifficulty, type PortDifficulty } from '../../src/sv1/index.js';
import { seededRandom } from '../channels/sim.js';

export interface Device {
  name: string;
  userAgent: string;
  /** What the firmware sends after authorize (ESP-Miner 1000, NerdMiner 0.00015). */
  suggest?: number;
  hashrate: number;
}

export interface DeviceRun {
  /** Seconds from authorize to the first share (Infinity: none within the run). */
  firstShare: number;
  /** Shares per second at the highest, over any 5-second window. */
  peakRate: number;
  /** Difficulty at the end, and the one that gives exactly `sharesPerMinute`. */
  finalDifficulty: number;
  idealDifficulty: number;
}

const HASHES_PER_DIFFICULTY = 2 ** 32;

/** One device for `seconds` of virtual time; ticks every `tickMs` as the translator does. */
export function runDevice(
  device: Device,
  port: PortDifficulty,
  sharesPerMinute: number,
  seconds: number,
  seed: number,
  tickMs = 5000,
): DeviceRun {
  const random = seededRandom(seed);
  const d = new MinerDifficulty(port, { sharesPerMinute }, 0);
  d.identify(device.userAgent, 0);
  if (device.suggest !== undefined) d.suggest(device.suggest, 0);
  d.restart(0);
  const gap = () => (-Math.log(1 - random()) * d.current * HASHES_PER_DIFFICULTY * 1000) / device.hashrate;
  let now = 0;
  let nextShare = gap();
  // Ticks are spread over connections: this one starts at a random offset.
  let nextTick = Math.floor(random() * tickMs);
  const end = seconds * 1000;
  let firstShare = Infinity;
  const recent: number[] = [];
  let peakRate = 0;
  for (let steps = 0; steps < 10_000_000; steps++) {
    const share = nextShare <= nextTick;
    now = share ? nextShare : nextTick;
    if (now > end) break;
    let changed: number | undefined;
    if (share) {
      if (firstShare === Infinity) firstShare = now / 1000;
      recent.push(now);
      while (recent[0]! < now - 5000) recent.shift();
      peakRate = Math.max(peakRate, recent.length / 5);
      d.share(now);
      changed = d.retarget(now);
    } else {
      changed = d.retarget(now);
      nextTick += tickMs;
    }
    // Memoryless: after a change (or a share) the next share is drawn afresh.
    if (share || changed !== undefined) nextShare = now + gap();
  }
  return {
    firstShare,
    peakRate,
    finalDifficulty: d.current,
    idealDifficulty: (device.hashrate * 60) / (sharesPerMinute * HASHES_PER_DIFFICULTY),
  };
}

/** The p-quantile (0..1) of numbers. */
export function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** The device classes a home miner owns, each at the low and high end of its hashrate. */
export const DEVICE_CLASSES: readonly Device[] = [
  { name: 'NerdMiner 50 kH/s', userAgent: 'NerdMinerV2/1.8.3', suggest: 0.00015, hashrate: 50e3 },
  { name: 'NerdMiner 300 kH/s', userAgent: 'NerdMinerV2/1.8.3', suggest: 0.00015, hashrate: 300e3 },
  { name: 'cpuminer 1 MH/s', userAgent: 'cpuminer/2.5.1', hashrate: 1e6 },
  { name: 'cpuminer 50 MH/s', userAgent: 'cpuminer/2.5.1', hashrate: 50e6 },
  { name: 'Bitaxe 0.5 TH/s', userAgent: 'bitaxe/BM1366/v2.4.0', suggest: 1000, hashrate: 0.5e12 },
  { name: 'Bitaxe 2 TH/s', userAgent: 'bitaxe/BM1370/v2.9.0', suggest: 1000, hashrate: 2e12 },
  { name: 'NerdQAxe++ 5 TH/s', userAgent: 'NerdQAxe++/BM1370/v1.0.30', suggest: 1000, hashrate: 5e12 },
  { name: 'Bitaxe, no suggestion, 0.5 TH/s', userAgent: 'bitaxe/BM1366/v2.4.0', hashrate: 0.5e12 },
  { name: 'Antminer S9 14 TH/s', userAgent: 'bmminer/2.0.0', hashrate: 14e12 },
  { name: 'Antminer S21 200 TH/s', userAgent: 'cgminer/4.11.1', hashrate: 200e12 },
  { name: 'Whatsminer 100 TH/s', userAgent: 'whatsminer/v1.0', hashrate: 100e12 },
  { name: 'Whatsminer 200 TH/s', userAgent: 'whatsminer/v1.0', hashrate: 200e12 },
  { name: 'Braiins OS S19 110 TH/s', userAgent: 'bosminer/1.0', hashrate: 110e12 },
  { name: 'Avalon Nano 3 4 TH/s', userAgent: 'cgminer/4.11.1 Avalon', hashrate: 4e12 },
];

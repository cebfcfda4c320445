// What the miner counts and prints once per report interval.
export class MinerStats {
  submitted = 0;
  accepted = 0;
  readonly rejected = new Map<string, number>();
  jobs = 0;
  blocks = 0;
  /** Difficulty of the share target in use (0 before the first job). */
  difficulty = 0;
  connections = 0;

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  get rejectedTotal(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }

  /** The fields of one report line. */
  snapshot(hashrate: number): Record<string, unknown> {
    return {
      hashrate: Math.round(hashrate),
      hashrate_human: formatHashrate(hashrate),
      submitted: this.submitted,
      accepted: this.accepted,
      rejected: this.rejectedTotal,
      rejected_by_reason: Object.fromEntries(this.rejected),
      difficulty: Number(this.difficulty.toPrecision(6)),
      jobs: this.jobs,
      blocks: this.blocks,
    };
  }
}

const UNITS = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];

export function formatHashrate(h: number): string {
  let v = h;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(2)} ${UNITS[i]}`;
}

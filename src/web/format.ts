// Numbers as people read them: hashrates and difficulties with SI prefixes,
// durations, bitcoin amounts, relative times.

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

export function si(value: number, unit = '', digits = 3): string {
  if (!Number.isFinite(value)) return '—';
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const sign = value < 0 ? '-' : '';
  let shown: string;
  if (v === 0) shown = '0';
  else if (v < 0.001) shown = v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  else
    shown = v
      .toPrecision(digits)
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, '');
  const suffix = `${PREFIXES[i]}${unit}`;
  return `${sign}${shown}${suffix === '' ? '' : ' ' + suffix}`;
}

export function hashrate(hps: number): string {
  return si(hps, 'H/s');
}

export function difficulty(d: number): string {
  return si(d);
}

/** A duration in seconds as "42 s", "7 min", "3.5 h", "12 days", "4.1 years". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds < 365 * 86400) return `${(seconds / 86400).toFixed(1)} days`;
  return `${si(seconds / (365.25 * 86400), '', 3)} years`;
}

export function btc(sats: bigint | number): string {
  const v = typeof sats === 'bigint' ? sats : BigInt(Math.round(sats));
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = a / 100_000_000n;
  const frac = (a % 100_000_000n).toString().padStart(8, '0');
  return `${neg ? '-' : ''}${whole}.${frac} BTC`;
}

export function percent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A share difficulty against the network's: a percentage below 1, a multiple from 1 up. */
export function ofNetwork(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return fraction >= 1
    ? `${si(fraction)}× network difficulty`
    : `${percent(fraction, 4)} of network difficulty`;
}

/** "3 min ago" relative to `now`; "never" for null. */
export function ago(time: number | null, now: number): string {
  if (time === null) return 'never';
  return `${duration(Math.max(0, (now - time) / 1000))} ago`;
}

export function isoTime(time: number): string {
  return new Date(time)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

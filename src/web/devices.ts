// Device families from user agents (SV2 vendor/hardware/firmware, or the SV1
// mining.subscribe agent the translator passes on). The first rule that
// matches wins; anything else is grouped by the agent's first word.

const FAMILIES: readonly [RegExp, string][] = [
  [/bitaxe|axeos|esp-miner/i, 'Bitaxe'],
  [/nerd ?(q?axe|miner)/i, 'NerdMiner / NerdAxe'],
  [/lucky ?miner/i, 'LuckyMiner'],
  [/braiins|bos(miner)?\b|bos\+/i, 'Braiins OS'],
  [/antminer|bmminer|bitmain/i, 'Antminer'],
  [/whatsminer|btminer|microbt/i, 'Whatsminer'],
  [/avalon|canaan/i, 'Avalon'],
  [/vnish/i, 'Vnish'],
  [/luxos|luxor/i, 'LuxOS'],
  [/cpuminer|minerd/i, 'cpuminer'],
  [/cgminer/i, 'cgminer'],
  [/bfgminer/i, 'BFGMiner'],
  [/strata/i, 'Strata miner'],
];

const MAX_FAMILY_LENGTH = 32;

/** The family a user agent belongs to ("unknown" when empty). */
export function deviceFamily(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (ua === '') return 'unknown';
  for (const [re, name] of FAMILIES) if (re.test(ua)) return name;
  const first = /^[A-Za-z][A-Za-z0-9 _.-]*?(?=[/ ]|$)/.exec(ua)?.[0] ?? 'other';
  return first.slice(0, MAX_FAMILY_LENGTH);
}

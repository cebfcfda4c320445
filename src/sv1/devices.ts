// What the user agent of mining.subscribe tells about a V1 device: its
// family (for the pool's page) and the difficulty it should start at. A
// start close to the device's own rate is what gets its first share in
// seconds instead of hours: NerdMiners hash about 10^5 H/s, S21s about
// 2·10^14. The first rule that matches wins; anything else is grouped by
// the agent's first word and starts at the port's default.
//
// Integer-only firmware: ESP-Miner (Bitaxe, NerdAxe, NerdQAxe, LuckyMiner)
// read mining.set_difficulty with cJSON's `valueint` until 2025
// (skot/ESP-Miner, components/stratum/stratum_api.c: `uint32_t difficulty =
// cJSON_GetArrayItem(params, 0)->valueint`), so 0.5 became 0 and every hash
// a share. Fleets run old builds for years: these always get whole numbers,
// as do the big-ASIC firmwares (cgminer/bmminer, Braiins OS, Whatsminer,
// LuxOS, Vnish), which only ever see whole numbers from ckpool-style pools.
// NerdMiner asks for 0.00015 (a float) itself and CPU miners parse doubles.

export interface DeviceProfile {
  /** Display family ("Bitaxe", "NerdMiner", ...; "unknown" without an agent). */
  family: string;
  /** Difficulty a new connection starts at; undefined: the port's own start. */
  start?: number;
  /** Send whole numbers only, whatever the miner or the port asks. */
  integerOnly: boolean;
  /** Fractional difficulties below 1 are fine on any port. */
  fractional: boolean;
}

interface Rule {
  re: RegExp;
  family: string;
  start?: number;
  integerOnly?: boolean;
  fractional?: boolean;
}

// Start difficulties aim at the low end of each family's hashrate (a share
// within seconds) without flooding the high end: difficulty d at H H/s gives
// H / (d · 2^32) shares a second.
//   Bitaxe/NerdAxe/LuckyMiner 0.4–5 TH/s at 512: one share per 5.5 s … 0.4 s.
//   Antminer/Whatsminer/Braiins 14–500 TH/s at 16384: 5 s … 7 shares/s.
//   cgminer (Avalon Nano 4 TH/s up to S21 on stock firmware) at 8192: 8.8 s … 14/s.
//   NerdMiner 50–300 kH/s at 0.0001: 8.6 s … 1.4 s.
//   CPU miners 1–50 MH/s at 0.001: 4.3 s … 12/s.
// Vardiff moves each of them to its own rate within the first minute.
const ESP_MINER = { start: 512, integerOnly: true } as const;
const BIG_ASIC = { start: 16384, integerOnly: true } as const;
const CPU = { start: 0.001, fractional: true } as const;

const RULES: readonly Rule[] = [
  // The pool's record of a worker a proxy relays ("via <proxy account>"): the device is not known.
  { re: /^via /i, family: 'via a proxy' },
  { re: /bitaxe|axeos|esp-miner/i, family: 'Bitaxe', ...ESP_MINER },
  { re: /nerd ?q?axe/i, family: 'NerdAxe', ...ESP_MINER },
  { re: /lucky ?miner/i, family: 'LuckyMiner', ...ESP_MINER },
  { re: /nerd ?miner|han_solominer/i, family: 'NerdMiner', start: 0.0001, fractional: true },
  { re: /braiins|bos(miner)?\b|bos\+/i, family: 'Braiins OS', ...BIG_ASIC },
  { re: /antminer|bmminer|bitmain/i, family: 'Antminer', ...BIG_ASIC },
  { re: /whatsminer|btminer|microbt/i, family: 'Whatsminer', ...BIG_ASIC },
  { re: /avalon|canaan/i, family: 'Avalon', start: 8192, integerOnly: true },
  { re: /vnish/i, family: 'Vnish', ...BIG_ASIC },
  { re: /luxos|luxor/i, family: 'LuxOS', ...BIG_ASIC },
  { re: /cpuminer|minerd/i, family: 'cpuminer', ...CPU },
  { re: /cgminer/i, family: 'cgminer', start: 8192, integerOnly: true },
  // USB sticks (0.1–0.5 TH/s) mostly.
  { re: /bfgminer/i, family: 'BFGMiner', start: 256, fractional: true },
  { re: /strata/i, family: 'Strata miner', ...CPU },
];

const MAX_FAMILY_LENGTH = 32;

/** Without a user agent. Profiles of known families are shared by every miner of the family. */
export const UNKNOWN_DEVICE: Readonly<DeviceProfile> = Object.freeze({
  family: 'unknown',
  integerOnly: false,
  fractional: false,
});

const PROFILES: readonly Readonly<DeviceProfile>[] = RULES.map((r) =>
  Object.freeze({
    family: r.family,
    ...(r.start !== undefined ? { start: r.start } : {}),
    integerOnly: r.integerOnly ?? false,
    fractional: r.fractional ?? false,
  }),
);

/** The profile of a user agent; unknown agents keep the port's defaults. */
export function deviceProfile(userAgent: string | null | undefined): Readonly<DeviceProfile> {
  const ua = (userAgent ?? '').trim();
  if (ua === '') return UNKNOWN_DEVICE;
  for (let i = 0; i < RULES.length; i++) if (RULES[i]!.re.test(ua)) return PROFILES[i]!;
  const first = /^[A-Za-z][A-Za-z0-9 _.-]*?(?=[/ ]|$)/.exec(ua)?.[0] ?? 'other';
  const family = first.slice(0, MAX_FAMILY_LENGTH);
  let p = otherProfiles.get(family);
  if (p === undefined) {
    if (otherProfiles.size >= MAX_OTHER_PROFILES) otherProfiles.clear();
    p = Object.freeze({ family, integerOnly: false, fractional: false });
    otherProfiles.set(family, p);
  }
  return p;
}

/** Profiles of the other families seen, shared by their miners (bounded: agents are the peer's to choose). */
const otherProfiles = new Map<string, Readonly<DeviceProfile>>();
const MAX_OTHER_PROFILES = 256;

/** The family a user agent belongs to ("unknown" when empty). */
export function deviceFamily(userAgent: string | null | undefined): string {
  return deviceProfile(userAgent).family;
}

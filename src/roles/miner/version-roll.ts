// Version rolling: the header's general-purpose version bits are extra search
// space once a nonce range is used up. SV2 jobs allow the BIP323 bits; SV1
// pools grant a BIP310 mask. Rolled versions are the job version XOR a
// counter spread over the mask's bits, so counter 0 is the job's own version
// and every rolled version differs from it only inside the mask.

/** BIP323 general-purpose version bits (SV2). */
export const BIP323_MASK = 0x1fffffe0;
/** The BIP310 mask V1 miners commonly ask for. */
export const BIP310_COMMON_MASK = 0x1fffe000;

/** Number of set bits in a 32-bit mask. */
export function maskBits(mask: number): number {
  let m = mask >>> 0;
  let n = 0;
  while (m !== 0) {
    m &= m - 1;
    n++;
  }
  return n;
}

/** Spreads the low bits of `counter` over the set bits of `mask`, lowest first. */
export function depositBits(counter: number, mask: number): number {
  let out = 0;
  let c = counter >>> 0;
  for (let bit = 0; bit < 32 && c !== 0; bit++) {
    if (((mask >>> bit) & 1) === 0) continue;
    if (c & 1) out |= 1 << bit;
    c >>>= 1;
  }
  return out >>> 0;
}

/** Version number `counter` in the rolling sequence of a job version (0 = the job version). */
export function rolledVersion(jobVersion: number, mask: number, counter: number): number {
  return (jobVersion ^ depositBits(counter, mask)) >>> 0;
}

/** How many distinct versions a mask allows (2^bits, capped for a u32 counter). */
export function versionCount(mask: number): number {
  return 2 ** Math.min(maskBits(mask), 31);
}

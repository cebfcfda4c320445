// What both protocol sessions do with a share the engine reports before
// sending it: rebuild the header with the share's rolled fields, check it
// against the work's current target, and count a block when it meets the
// network target.
import { hashMeetsTarget, headerHash, toDisplayHex } from '../../bitcoin/index.js';
import type { MinerContext } from './context.js';
import type { FoundShare } from './search.js';

export interface CheckedWork {
  /** The 80-byte header the work was handed to the engine with. */
  header: Uint8Array;
  /** The share target now in force (it may have become harder since the thread found the share). */
  target: bigint;
  /** 0n when the network target is unknown. */
  networkTarget: bigint;
}

/** The share's header hash when it still meets the work's target, otherwise undefined. */
export function checkShare(
  ctx: MinerContext,
  w: CheckedWork,
  share: FoundShare,
  job_id: number | string,
): Uint8Array | undefined {
  const header = w.header.slice();
  const view = new DataView(header.buffer);
  view.setUint32(0, share.version, true);
  view.setUint32(68, share.ntime, true);
  view.setUint32(76, share.nonce, true);
  const hash = headerHash(header);
  // Checked again here: the target may have become harder since the thread found it.
  if (!hashMeetsTarget(hash, w.target)) return undefined;
  if (w.networkTarget > 0n && hashMeetsTarget(hash, w.networkTarget)) {
    ctx.stats.blocks++;
    ctx.log.info({ job_id, hash: toDisplayHex(hash) }, 'block found');
  }
  return hash;
}

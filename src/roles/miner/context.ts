// What a protocol session (SV2 or SV1) shares with the rest of the miner.
import type { Logger } from '../../log.js';
import type { HashEngine } from './engine.js';
import type { FoundShare } from './search.js';
import type { MinerStats } from './stats.js';
import type { SessionEnd } from './supervisor.js';

export interface MinerContext {
  engine: HashEngine;
  stats: MinerStats;
  log: Logger;
  /** Work ids are unique for the life of the process, so a share from an old session never matches. */
  nextWorkId(): number;
  /** Wall clock in ms (tests may shift it). */
  now(): number;
}

export interface MinerSession {
  /** Connects, sets up and mines until the connection ends. */
  run(): Promise<SessionEnd>;
  /** A share the engine found for this session's work. */
  onShare(share: FoundShare): void;
  close(reason: string): void;
}

// What a miner session needs from the side that owns the upstream SV2
// channel (the translator). Every method may answer synchronously or with a
// promise; the session keeps its replies in arrival order either way.

/** The work an SV2 extended channel hands out, flattened for SV1. */
export interface UpstreamJob {
  /** SV2 job id (NewExtendedMiningJob.job_id), echoed in the share verdict. */
  job_id: number;
  version: number;
  version_rolling_allowed: boolean;
  /** BIP141-stripped coinbase part before the upstream extranonce_prefix. */
  coinbase_tx_prefix: Uint8Array;
  /** BIP141-stripped coinbase part after the extranonce. */
  coinbase_tx_suffix: Uint8Array;
  /** Coinbase merkle branch, internal byte order, deepest first. */
  merkle_path: Uint8Array[];
  /** SetNewPrevHash.prev_hash, internal byte order. */
  prev_hash: Uint8Array;
  nbits: number;
  /** The ntime the miner starts from (SetNewPrevHash.min_ntime or later). */
  ntime: number;
  /** A new prev hash: every earlier job is stale. */
  clean_jobs: boolean;
  /** Target the upstream channel requires for this job; shares meeting it are forwarded. */
  upstream_target: bigint;
  /**
   * Names the block template behind the job, the same on every upstream
   * channel that carries it (channels differ only in extranonce_prefix and
   * target): a miner moved to another channel's job for the same template
   * is sent the same work again (see the job book).
   */
  work?: string;
}

/** What the miner rolls: extranonce1 = upstream extranonce_prefix ‖ the translator's per-miner bytes. */
export interface MinerExtranonce {
  extranonce1: Uint8Array;
  extranonce2_size: number;
  /** How many leading bytes of extranonce1 are the upstream extranonce_prefix. */
  upstream_prefix_length: number;
}

export interface SubscribeRequest {
  userAgent?: string;
  /** Extranonce of a session being resumed (the registry found the miner's session id). */
  resume?: MinerExtranonce;
}

export type AuthorizeAnswer = { ok: true } | { ok: false; reason: string };

/** A share that passed the local checks, with what SubmitSharesExtended needs. */
export interface UpstreamShare {
  job_id: number;
  /** Bytes after the upstream extranonce_prefix: the per-miner part ‖ extranonce2. */
  extranonce: Uint8Array;
  ntime: number;
  nonce: number;
  /** Full header version. */
  version: number;
  /** Header hash, internal order. */
  hash: Uint8Array;
  worker: string;
  /** Meets the network target: a block. */
  block: boolean;
  /** The 80-byte header (for block submission). */
  header: Uint8Array;
  /** Full SV1 coinbase (BIP141-stripped). */
  coinbase: Uint8Array;
}

export type SubmitAnswer = void | { accepted: true } | { accepted: false; code: number; message: string };

type Maybe<T> = T | Promise<T>;

export interface Upstream {
  /** Allocates the miner's extranonce (may wait for the upstream channel to open). Throw to refuse. */
  subscribe(request: SubscribeRequest): Maybe<MinerExtranonce>;
  authorize(user: string, password: string): Maybe<AuthorizeAnswer>;
  /** Version bits the upstream lets miners roll; 0 when upstream jobs forbid rolling. */
  versionRollingMask(): Maybe<number>;
  /** The job to start a miner on, if any yet. */
  currentJob(): UpstreamJob | undefined;
  /**
   * Called for every locally valid share that meets the upstream target or
   * is a block. A promise is the upstream's later verdict: the session goes
   * on with the miner's next requests and sends their replies after this one.
   */
  submit(share: UpstreamShare): Maybe<SubmitAnswer>;
}

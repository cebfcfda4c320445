// Job declaration on the pool ([job_declaration] in pool.toml): a job
// declarator client's SetCustomMiningJob is taken when its mining_job_token
// verifies with the secret the pool shares with the job declarator server
// (token_secret_file), and its coinbase pays the pool what the pool asks.
//
// Token rules (src/channels/jd-token.ts for the layout): a valid MAC, not
// expired, issued after this pool process started (a restart forgets which
// tokens were used, so older ones are refused), not used before (ids kept in
// memory until they expire), and of a kind the pool takes: declared tokens
// always, allocated ones (coinbase-only jobs, never declared to the JDS) only
// with allow_coinbase_only. A declared token's commitment must match the job.
// Every refusal is 'invalid-mining-job-token' with a reason in the log.
//
// Job rules (beyond the chain-tip checks of the channels layer): the outputs
// paying coinbase_reward_script carry at least min_pool_payout_percent of
// the outputs' total value, and the total is at least the block subsidy.
import {
  blockSubsidy,
  bytesToHex,
  equalBytes,
  type NetworkName,
  type TxOutput,
} from '../../bitcoin/index.js';
import {
  CUSTOM_JOB_ERROR,
  TOKEN_CLOCK_LEEWAY_SEC,
  TOKEN_KIND,
  commitmentRefusal,
  poolPayoutRefusal,
  verifyToken,
  type CustomJobCheck,
  type CustomJobRefusal,
  type Token,
} from '../../channels/index.js';
import type { MessageByName } from '../../messages/index.js';

export interface JobDeclarationOptions {
  /** The token secret (32 bytes). */
  secret: Uint8Array;
  allowCoinbaseOnly: boolean;
  minPoolPayoutPercent: number;
  /** coinbase_reward_script. */
  poolScript: Uint8Array;
  /** The chain whose block subsidy a custom job's outputs must cover. */
  network: NetworkName;
  /** When this process started (ms): tokens issued before are refused. */
  startedAt: number;
}

/** Sweep used token ids at most this often. */
const SWEEP_MS = 60_000;

/** Sats the outputs pay to `script`. */
export function paidTo(outputs: readonly TxOutput[], script: Uint8Array): bigint {
  let paid = 0n;
  for (const o of outputs) if (equalBytes(o.script, script)) paid += o.value;
  return paid;
}

export class JobDeclaration {
  readonly #o: JobDeclarationOptions;
  /** Used token ids (hex) → expires_at (unix s). */
  readonly #used = new Map<string, number>();
  #lastSweep = 0;

  constructor(opts: JobDeclarationOptions) {
    this.#o = opts;
  }

  get poolScript(): Uint8Array {
    return this.#o.poolScript;
  }

  /** Token ids remembered as used (for tests and metrics). */
  get usedTokens(): number {
    return this.#used.size;
  }

  /**
   * The check handed to the channels layer for one SetCustomMiningJob, and
   * the token to mark used once the job is accepted.
   */
  check(m: MessageByName<'SetCustomMiningJob'>, now: number): { check: CustomJobCheck; token: Token | null } {
    const verdict = this.#verify(m.mining_job_token, now);
    if ('refusal' in verdict) return { check: { token: verdict.refusal }, token: null };
    const token = verdict.token;
    return {
      token,
      check: {
        token: null,
        job: (draft) => {
          if (token.kind === TOKEN_KIND.DECLARED) {
            const mismatch = commitmentRefusal(token.commitment, draft.message);
            if (mismatch) return mismatch;
          }
          return poolPayoutRefusal(draft.outputs, {
            script: this.#o.poolScript,
            min_percent: this.#o.minPoolPayoutPercent,
            subsidy: blockSubsidy(draft.height, this.#o.network),
          });
        },
      },
    };
  }

  /** Marks an accepted job's token used: it is refused from now on until it expires. */
  consume(token: Token, now: number): void {
    this.#used.set(bytesToHex(token.token_id), token.expires_at);
    if (now - this.#lastSweep < SWEEP_MS) return;
    this.#lastSweep = now;
    const seconds = Math.floor(now / 1000);
    for (const [id, expires] of this.#used) if (expires <= seconds) this.#used.delete(id);
  }

  #verify(bytes: Uint8Array, now: number): { token: Token } | { refusal: CustomJobRefusal } {
    const refuse = (reason: string) => ({
      refusal: { error_code: CUSTOM_JOB_ERROR.INVALID_MINING_JOB_TOKEN, reason },
    });
    // Tokens carry unix seconds; a JDS on another host may run a little ahead.
    const v = verifyToken(bytes, this.#o.secret, Math.floor(now / 1000), {
      clockSkewSec: TOKEN_CLOCK_LEEWAY_SEC,
    });
    if (!v.ok) return refuse(`token ${v.reason}`);
    const token = v.token;
    if (token.issued_at * 1000 < this.#o.startedAt) return refuse('token issued before the pool started');
    if (this.#used.has(bytesToHex(token.token_id))) return refuse('token already used');
    if (token.kind === TOKEN_KIND.ALLOCATED && !this.#o.allowCoinbaseOnly) {
      return refuse('allocated (coinbase-only) token, but allow_coinbase_only is off');
    }
    return { token };
  }
}

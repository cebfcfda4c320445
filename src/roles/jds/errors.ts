// The error codes the job declarator server answers DeclareMiningJob with
// (DeclareMiningJob.Error.error_code), in the spec's naming:
// invalid-job-param-value-{field} names the DeclareMiningJob field at fault
// with `_` written `-`; error_details says why in words.

export const JDS_ERROR = {
  /** The token does not verify, is not an allocated token of this connection, was used or expired. */
  INVALID_MINING_JOB_TOKEN: 'invalid-mining-job-token',
  /** version lacks the BIP9 top bits 001. */
  INVALID_VERSION: 'invalid-job-param-value-version',
  /** coinbase_tx_prefix does not parse, or its extranonce or BIP34 height is wrong. */
  INVALID_COINBASE_TX_PREFIX: 'invalid-job-param-value-coinbase-tx-prefix',
  /**
   * coinbase_tx_suffix does not parse, its witness commitment does not match the
   * transactions, or its outputs do not pay the pool payout output as required.
   */
  INVALID_COINBASE_TX_SUFFIX: 'invalid-job-param-value-coinbase-tx-suffix',
  /** Too many transactions, duplicates, or a block over the weight or sigop limit. */
  INVALID_WTXID_LIST: 'invalid-job-param-value-wtxid-list',
  /** The ProvideMissingTransactions answer was incomplete, wrong, or never came. */
  MISSING_TRANSACTIONS: 'missing-transactions',
  /** The coinbase's BIP34 height is not the node's next block. */
  STALE_CHAIN_TIP: 'stale-chain-tip',
  /** DeclareMiningJob on a connection set up without DECLARE_TX_DATA (coinbase-only). */
  UNSUPPORTED_FEATURE_FLAGS: 'unsupported-feature-flags',
} as const;

export type JdsErrorCode = (typeof JDS_ERROR)[keyof typeof JDS_ERROR];

/** A refused declaration: the code and the words for error_details. */
export class DeclareRefusal extends Error {
  override readonly name = 'DeclareRefusal';
  constructor(
    readonly code: JdsErrorCode,
    readonly details: string,
  ) {
    super(`${code}: ${details}`);
  }
}

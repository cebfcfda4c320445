// Job Declaration Protocol messages (spec 6.4). None sets the channel_msg bit.
import { B0_16M, B0_255, B0_32, B0_64K, SEQ0_64K, STR0_255, U16, U256, U32 } from '../codec/types.js';
import { defineMessage } from './schema.js';

export const AllocateMiningJobToken = defineMessage({
  name: 'AllocateMiningJobToken',
  spec_name: 'AllocateMiningJobToken',
  protocol: 'job-declaration',
  msg_type: 0x50,
  channel_msg: false,
  fields: { user_identifier: STR0_255, request_id: U32 },
});

export const AllocateMiningJobTokenSuccess = defineMessage({
  name: 'AllocateMiningJobTokenSuccess',
  spec_name: 'AllocateMiningJobToken.Success',
  protocol: 'job-declaration',
  msg_type: 0x51,
  channel_msg: false,
  // coinbase_tx_outputs: CompactSize count then consensus-serialized outputs.
  fields: { request_id: U32, mining_job_token: B0_255, coinbase_tx_outputs: B0_64K },
});

export const ProvideMissingTransactions = defineMessage({
  name: 'ProvideMissingTransactions',
  spec_name: 'ProvideMissingTransactions',
  protocol: 'job-declaration',
  msg_type: 0x55,
  channel_msg: false,
  fields: { request_id: U32, unknown_tx_position_list: SEQ0_64K(U16) },
});

export const ProvideMissingTransactionsSuccess = defineMessage({
  name: 'ProvideMissingTransactionsSuccess',
  spec_name: 'ProvideMissingTransactions.Success',
  protocol: 'job-declaration',
  msg_type: 0x56,
  channel_msg: false,
  fields: { request_id: U32, transaction_list: SEQ0_64K(B0_16M) },
});

export const DeclareMiningJob = defineMessage({
  name: 'DeclareMiningJob',
  spec_name: 'DeclareMiningJob',
  protocol: 'job-declaration',
  msg_type: 0x57,
  channel_msg: false,
  // Unlike NewExtendedMiningJob, the coinbase parts keep their BIP141 fields.
  fields: {
    request_id: U32,
    mining_job_token: B0_255,
    version: U32,
    coinbase_tx_prefix: B0_64K,
    coinbase_tx_suffix: B0_64K,
    wtxid_list: SEQ0_64K(U256),
    excess_data: B0_64K,
  },
});

export const DeclareMiningJobSuccess = defineMessage({
  name: 'DeclareMiningJobSuccess',
  spec_name: 'DeclareMiningJob.Success',
  protocol: 'job-declaration',
  msg_type: 0x58,
  channel_msg: false,
  fields: { request_id: U32, new_mining_job_token: B0_255 },
});

export const DeclareMiningJobError = defineMessage({
  name: 'DeclareMiningJobError',
  spec_name: 'DeclareMiningJob.Error',
  protocol: 'job-declaration',
  msg_type: 0x59,
  channel_msg: false,
  fields: { request_id: U32, error_code: STR0_255, error_details: B0_64K },
});

export const PushSolution = defineMessage({
  name: 'PushSolution',
  spec_name: 'PushSolution',
  protocol: 'job-declaration',
  msg_type: 0x60,
  channel_msg: false,
  // The spec table writes "prev hash"; snake_case like every other field.
  fields: { extranonce: B0_32, prev_hash: U256, nonce: U32, ntime: U32, nbits: U32, version: U32 },
});

export const JOB_DECLARATION_MESSAGES = [
  AllocateMiningJobToken,
  AllocateMiningJobTokenSuccess,
  ProvideMissingTransactions,
  ProvideMissingTransactionsSuccess,
  DeclareMiningJob,
  DeclareMiningJobSuccess,
  DeclareMiningJobError,
  PushSolution,
] as const;

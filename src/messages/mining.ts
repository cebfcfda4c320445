// Mining Protocol messages (spec 5.3), msg_type 0x10..0x25 (0x1e is reserved).
// Field lists follow the current spec: OPTION[U32] min_ntime on jobs,
// group_channel_id in both Open*MiningChannel.Success messages.
import {
  B0_255,
  B0_32,
  B0_64K,
  BOOL,
  F32,
  OPTION,
  SEQ0_255,
  SEQ0_64K,
  STR0_255,
  U16,
  U256,
  U32,
  U64,
} from '../codec/types.js';
import { USER_IDENTITY_TLV } from './extensions.js';
import { defineMessage } from './schema.js';

export const OpenStandardMiningChannel = defineMessage({
  name: 'OpenStandardMiningChannel',
  spec_name: 'OpenStandardMiningChannel',
  protocol: 'mining',
  msg_type: 0x10,
  channel_msg: false,
  fields: { request_id: U32, user_identity: STR0_255, nominal_hash_rate: F32, max_target: U256 },
});

export const OpenStandardMiningChannelSuccess = defineMessage({
  name: 'OpenStandardMiningChannelSuccess',
  spec_name: 'OpenStandardMiningChannel.Success',
  protocol: 'mining',
  msg_type: 0x11,
  channel_msg: false,
  fields: { request_id: U32, channel_id: U32, target: U256, extranonce_prefix: B0_32, group_channel_id: U32 },
});

export const OpenMiningChannelError = defineMessage({
  name: 'OpenMiningChannelError',
  spec_name: 'OpenMiningChannel.Error',
  protocol: 'mining',
  msg_type: 0x12,
  channel_msg: false,
  fields: { request_id: U32, error_code: STR0_255 },
});

export const OpenExtendedMiningChannel = defineMessage({
  name: 'OpenExtendedMiningChannel',
  spec_name: 'OpenExtendedMiningChannel',
  protocol: 'mining',
  msg_type: 0x13,
  channel_msg: false,
  fields: {
    request_id: U32,
    user_identity: STR0_255,
    nominal_hash_rate: F32,
    max_target: U256,
    min_extranonce_size: U16,
  },
});

export const OpenExtendedMiningChannelSuccess = defineMessage({
  name: 'OpenExtendedMiningChannelSuccess',
  spec_name: 'OpenExtendedMiningChannel.Success',
  protocol: 'mining',
  msg_type: 0x14,
  channel_msg: false,
  fields: {
    request_id: U32,
    channel_id: U32,
    target: U256,
    extranonce_size: U16,
    extranonce_prefix: B0_32,
    group_channel_id: U32,
  },
});

export const NewMiningJob = defineMessage({
  name: 'NewMiningJob',
  spec_name: 'NewMiningJob',
  protocol: 'mining',
  msg_type: 0x15,
  channel_msg: true,
  fields: { channel_id: U32, job_id: U32, min_ntime: OPTION(U32), version: U32, merkle_root: U256 },
});

export const UpdateChannel = defineMessage({
  name: 'UpdateChannel',
  spec_name: 'UpdateChannel',
  protocol: 'mining',
  msg_type: 0x16,
  channel_msg: true,
  fields: { channel_id: U32, nominal_hash_rate: F32, maximum_target: U256 },
});

export const UpdateChannelError = defineMessage({
  name: 'UpdateChannelError',
  spec_name: 'UpdateChannel.Error',
  protocol: 'mining',
  msg_type: 0x17,
  channel_msg: true,
  fields: { channel_id: U32, error_code: STR0_255 },
});

export const CloseChannel = defineMessage({
  name: 'CloseChannel',
  spec_name: 'CloseChannel',
  protocol: 'mining',
  msg_type: 0x18,
  channel_msg: true,
  fields: { channel_id: U32, reason_code: STR0_255 },
});

export const SetExtranoncePrefix = defineMessage({
  name: 'SetExtranoncePrefix',
  spec_name: 'SetExtranoncePrefix',
  protocol: 'mining',
  msg_type: 0x19,
  channel_msg: true,
  fields: { channel_id: U32, extranonce_prefix: B0_32 },
});

export const SubmitSharesStandard = defineMessage({
  name: 'SubmitSharesStandard',
  spec_name: 'SubmitSharesStandard',
  protocol: 'mining',
  msg_type: 0x1a,
  channel_msg: true,
  fields: { channel_id: U32, sequence_number: U32, job_id: U32, nonce: U32, ntime: U32, version: U32 },
});

export const SubmitSharesExtended = defineMessage({
  name: 'SubmitSharesExtended',
  spec_name: 'SubmitSharesExtended',
  protocol: 'mining',
  msg_type: 0x1b,
  channel_msg: true,
  fields: {
    channel_id: U32,
    sequence_number: U32,
    job_id: U32,
    nonce: U32,
    ntime: U32,
    version: U32,
    extranonce: B0_32,
  },
  // Extension 0x0002 appends the worker's user_identity as a TLV once negotiated.
  tlv_fields: { user_identity: USER_IDENTITY_TLV },
});

export const SubmitSharesSuccess = defineMessage({
  name: 'SubmitSharesSuccess',
  spec_name: 'SubmitShares.Success',
  protocol: 'mining',
  msg_type: 0x1c,
  channel_msg: true,
  fields: {
    channel_id: U32,
    last_sequence_number: U32,
    new_submits_accepted_count: U32,
    new_shares_sum: U64,
  },
});

export const SubmitSharesError = defineMessage({
  name: 'SubmitSharesError',
  spec_name: 'SubmitShares.Error',
  protocol: 'mining',
  msg_type: 0x1d,
  channel_msg: true,
  fields: { channel_id: U32, sequence_number: U32, error_code: STR0_255 },
});

export const NewExtendedMiningJob = defineMessage({
  name: 'NewExtendedMiningJob',
  spec_name: 'NewExtendedMiningJob',
  protocol: 'mining',
  msg_type: 0x1f,
  channel_msg: true,
  fields: {
    channel_id: U32,
    job_id: U32,
    min_ntime: OPTION(U32),
    version: U32,
    version_rolling_allowed: BOOL,
    merkle_path: SEQ0_255(U256),
    coinbase_tx_prefix: B0_64K,
    coinbase_tx_suffix: B0_64K,
  },
});

/** Mining Protocol SetNewPrevHash (0x20); the Template Distribution one is SetNewPrevHashTdp. */
export const SetNewPrevHash = defineMessage({
  name: 'SetNewPrevHash',
  spec_name: 'SetNewPrevHash',
  protocol: 'mining',
  msg_type: 0x20,
  channel_msg: true,
  fields: { channel_id: U32, job_id: U32, prev_hash: U256, min_ntime: U32, nbits: U32 },
});

export const SetTarget = defineMessage({
  name: 'SetTarget',
  spec_name: 'SetTarget',
  protocol: 'mining',
  msg_type: 0x21,
  channel_msg: true,
  fields: { channel_id: U32, maximum_target: U256 },
});

export const SetCustomMiningJob = defineMessage({
  name: 'SetCustomMiningJob',
  spec_name: 'SetCustomMiningJob',
  protocol: 'mining',
  msg_type: 0x22,
  channel_msg: true,
  fields: {
    channel_id: U32,
    request_id: U32,
    mining_job_token: B0_255,
    version: U32,
    prev_hash: U256,
    min_ntime: U32,
    nbits: U32,
    coinbase_tx_version: U32,
    coinbase_prefix: B0_255,
    coinbase_tx_input_nSequence: U32,
    coinbase_tx_outputs: B0_64K,
    coinbase_tx_locktime: U32,
    merkle_path: SEQ0_255(U256),
  },
});

export const SetCustomMiningJobSuccess = defineMessage({
  name: 'SetCustomMiningJobSuccess',
  spec_name: 'SetCustomMiningJob.Success',
  protocol: 'mining',
  msg_type: 0x23,
  channel_msg: true,
  fields: { channel_id: U32, request_id: U32, job_id: U32 },
});

export const SetCustomMiningJobError = defineMessage({
  name: 'SetCustomMiningJobError',
  spec_name: 'SetCustomMiningJob.Error',
  protocol: 'mining',
  msg_type: 0x24,
  channel_msg: true,
  fields: { channel_id: U32, request_id: U32, error_code: STR0_255 },
});

export const SetGroupChannel = defineMessage({
  name: 'SetGroupChannel',
  spec_name: 'SetGroupChannel',
  protocol: 'mining',
  msg_type: 0x25,
  channel_msg: false,
  fields: { group_channel_id: U32, channel_ids: SEQ0_64K(U32) },
});

export const MINING_MESSAGES = [
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  OpenMiningChannelError,
  OpenExtendedMiningChannel,
  OpenExtendedMiningChannelSuccess,
  NewMiningJob,
  UpdateChannel,
  UpdateChannelError,
  CloseChannel,
  SetExtranoncePrefix,
  SubmitSharesStandard,
  SubmitSharesExtended,
  SubmitSharesSuccess,
  SubmitSharesError,
  NewExtendedMiningJob,
  SetNewPrevHash,
  SetTarget,
  SetCustomMiningJob,
  SetCustomMiningJobSuccess,
  SetCustomMiningJobError,
  SetGroupChannel,
] as const;

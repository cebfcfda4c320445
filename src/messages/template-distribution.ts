// Template Distribution Protocol messages (spec 7). None sets the channel_msg bit.
import {
  B0_16M,
  B0_255,
  B0_64K,
  BOOL,
  SEQ0_255,
  SEQ0_64K,
  STR0_255,
  U16,
  U256,
  U32,
  U64,
} from '../codec/types.js';
import { defineMessage } from './schema.js';

export const CoinbaseOutputConstraints = defineMessage({
  name: 'CoinbaseOutputConstraints',
  spec_name: 'CoinbaseOutputConstraints',
  protocol: 'template-distribution',
  msg_type: 0x70,
  channel_msg: false,
  fields: { coinbase_output_max_additional_size: U32, coinbase_output_max_additional_sigops: U16 },
});

export const NewTemplate = defineMessage({
  name: 'NewTemplate',
  spec_name: 'NewTemplate',
  protocol: 'template-distribution',
  msg_type: 0x71,
  channel_msg: false,
  // coinbase_tx_outputs: the serialized outputs back to back, no CompactSize
  // count (the count travels in coinbase_tx_outputs_count).
  fields: {
    template_id: U64,
    future_template: BOOL,
    version: U32,
    coinbase_tx_version: U32,
    coinbase_prefix: B0_255,
    coinbase_tx_input_sequence: U32,
    coinbase_tx_value_remaining: U64,
    coinbase_tx_outputs_count: U32,
    coinbase_tx_outputs: B0_64K,
    coinbase_tx_locktime: U32,
    merkle_path: SEQ0_255(U256),
  },
});

/** Template Distribution SetNewPrevHash (0x72); named apart from the Mining Protocol one (0x20). */
export const SetNewPrevHashTdp = defineMessage({
  name: 'SetNewPrevHashTdp',
  spec_name: 'SetNewPrevHash',
  protocol: 'template-distribution',
  msg_type: 0x72,
  channel_msg: false,
  fields: { template_id: U64, prev_hash: U256, header_timestamp: U32, nBits: U32, target: U256 },
});

export const RequestTransactionData = defineMessage({
  name: 'RequestTransactionData',
  spec_name: 'RequestTransactionData',
  protocol: 'template-distribution',
  msg_type: 0x73,
  channel_msg: false,
  fields: { template_id: U64 },
});

export const RequestTransactionDataSuccess = defineMessage({
  name: 'RequestTransactionDataSuccess',
  spec_name: 'RequestTransactionData.Success',
  protocol: 'template-distribution',
  msg_type: 0x74,
  channel_msg: false,
  fields: { template_id: U64, excess_data: B0_64K, transaction_list: SEQ0_64K(B0_16M) },
});

export const RequestTransactionDataError = defineMessage({
  name: 'RequestTransactionDataError',
  spec_name: 'RequestTransactionData.Error',
  protocol: 'template-distribution',
  msg_type: 0x75,
  channel_msg: false,
  fields: { template_id: U64, error_code: STR0_255 },
});

export const SubmitSolution = defineMessage({
  name: 'SubmitSolution',
  spec_name: 'SubmitSolution',
  protocol: 'template-distribution',
  msg_type: 0x76,
  channel_msg: false,
  // coinbase_tx is the full segwit serialization (BIP141 fields kept).
  fields: { template_id: U64, version: U32, header_timestamp: U32, header_nonce: U32, coinbase_tx: B0_64K },
});

export const TEMPLATE_DISTRIBUTION_MESSAGES = [
  CoinbaseOutputConstraints,
  NewTemplate,
  SetNewPrevHashTdp,
  RequestTransactionData,
  RequestTransactionDataSuccess,
  RequestTransactionDataError,
  SubmitSolution,
] as const;

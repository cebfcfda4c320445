// Extensions with a defined wire format:
// - 0x0001 Extensions Negotiation: three messages under extension_type 0x0001.
// - 0x0002 Worker-Specific Hashrate Tracking: no messages of its own, one TLV
//   field (user_identity) appended to SubmitSharesExtended.
import { SEQ0_64K, U16 } from '../codec/types.js';
import { defineMessage, tlvField } from './schema.js';
import { utf8Text } from './tlv-values.js';

export const EXTENSION_TYPE = {
  /** Core protocol messages. */
  CORE: 0x0000,
  EXTENSIONS_NEGOTIATION: 0x0001,
  WORKER_SPECIFIC_HASHRATE_TRACKING: 0x0002,
} as const;

export const RequestExtensions = defineMessage({
  name: 'RequestExtensions',
  spec_name: 'RequestExtensions',
  protocol: 'extensions-negotiation',
  extension_type: EXTENSION_TYPE.EXTENSIONS_NEGOTIATION,
  msg_type: 0x00,
  channel_msg: false,
  fields: { request_id: U16, requested_extensions: SEQ0_64K(U16) },
});

export const RequestExtensionsSuccess = defineMessage({
  name: 'RequestExtensionsSuccess',
  spec_name: 'RequestExtensions.Success',
  protocol: 'extensions-negotiation',
  extension_type: EXTENSION_TYPE.EXTENSIONS_NEGOTIATION,
  msg_type: 0x01,
  channel_msg: false,
  fields: { request_id: U16, supported_extensions: SEQ0_64K(U16) },
});

export const RequestExtensionsError = defineMessage({
  name: 'RequestExtensionsError',
  spec_name: 'RequestExtensions.Error',
  protocol: 'extensions-negotiation',
  extension_type: EXTENSION_TYPE.EXTENSIONS_NEGOTIATION,
  msg_type: 0x02,
  channel_msg: false,
  fields: { request_id: U16, unsupported_extensions: SEQ0_64K(U16), required_extensions: SEQ0_64K(U16) },
});

/** Extension 0x0002 field 0x01: the worker's user_identity, UTF-8, at most 32 bytes, unpadded. */
export const USER_IDENTITY_TLV = tlvField(
  EXTENSION_TYPE.WORKER_SPECIFIC_HASHRATE_TRACKING,
  0x01,
  utf8Text(32),
);

export const EXTENSION_MESSAGES = [
  RequestExtensions,
  RequestExtensionsSuccess,
  RequestExtensionsError,
] as const;

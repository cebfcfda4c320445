// Common Protocol Messages (spec 3.6), shared by every subprotocol.
import { STR0_255, U16, U32, U8 } from '../codec/types.js';
import { defineMessage } from './schema.js';

export const SetupConnection = defineMessage({
  name: 'SetupConnection',
  spec_name: 'SetupConnection',
  protocol: 'common',
  msg_type: 0x00,
  channel_msg: false,
  fields: {
    protocol: U8,
    min_version: U16,
    max_version: U16,
    flags: U32,
    endpoint_host: STR0_255,
    endpoint_port: U16,
    vendor: STR0_255,
    hardware_version: STR0_255,
    firmware: STR0_255,
    device_id: STR0_255,
  },
});

export const SetupConnectionSuccess = defineMessage({
  name: 'SetupConnectionSuccess',
  spec_name: 'SetupConnection.Success',
  protocol: 'common',
  msg_type: 0x01,
  channel_msg: false,
  fields: { used_version: U16, flags: U32 },
});

export const SetupConnectionError = defineMessage({
  name: 'SetupConnectionError',
  spec_name: 'SetupConnection.Error',
  protocol: 'common',
  msg_type: 0x02,
  channel_msg: false,
  fields: { flags: U32, error_code: STR0_255 },
});

export const ChannelEndpointChanged = defineMessage({
  name: 'ChannelEndpointChanged',
  spec_name: 'ChannelEndpointChanged',
  protocol: 'common',
  msg_type: 0x03,
  channel_msg: true,
  fields: { channel_id: U32 },
});

export const Reconnect = defineMessage({
  name: 'Reconnect',
  spec_name: 'Reconnect',
  protocol: 'common',
  msg_type: 0x04,
  channel_msg: false,
  fields: { new_host: STR0_255, new_port: U16 },
});

export const COMMON_MESSAGES = [
  SetupConnection,
  SetupConnectionSuccess,
  SetupConnectionError,
  ChannelEndpointChanged,
  Reconnect,
] as const;

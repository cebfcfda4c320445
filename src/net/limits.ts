// Defaults shared by the server and client helpers.

/** Time allowed from TCP accept/connect to a finished Noise handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Largest payload accepted from a peer unless a role says otherwise: ample for
 * every SV2 message (the biggest, a DeclareMiningJob or a block's transaction
 * data, stay well below it) while bounding memory per connection.
 */
export const DEFAULT_MAX_PAYLOAD_LENGTH = 4 * 1024 * 1024;

// One error type for the whole Noise layer; `code` lets the network layer log
// why a session ended without parsing messages.
export type NoiseErrorCode =
  | 'mac' // an AEAD tag did not authenticate
  | 'certificate' // bad signature, wrong version, or outside its validity window
  | 'length' // a handshake message or frame of the wrong size
  | 'state' // an operation out of order
  | 'key' // an unusable key
  | 'nonce'; // the nonce counter ran out

export class NoiseError extends Error {
  override readonly name = 'NoiseError';
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

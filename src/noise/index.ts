// Public surface of the Noise layer.
export * from './aead.js';
export * from './certificate.js';
export * from './cipher-state.js';
export * from './credentials.js';
export * from './ellswift.js';
export * from './errors.js';
export * from './handshake.js';
export * from './keys.js';
export * from './symmetric.js';
export * from './transport.js';

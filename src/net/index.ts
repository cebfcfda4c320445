// Public surface of the network layer.
export * from './client.js';
export * from './codecs.js';
export * from './connection.js';
export * from './guard.js';
export * from './limits.js';
export * from './logger.js';
export * from './plain-framing.js';
export * from './server.js';

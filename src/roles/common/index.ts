// Helpers several roles share: the TDP client, the downstream Mining Protocol session, config
// flags, shutdown, authority keys.
export * from './authority.js';
export * from './cli-flags.js';
export * from './mining-session.js';
export * from './shutdown.js';
export * from './tdp-client.js';

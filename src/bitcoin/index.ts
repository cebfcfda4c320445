// The pure Bitcoin layer: hashes, merkle trees, targets, transactions,
// coinbases, headers, blocks and addresses. No sockets, timers or files.
export * from './errors.js';
export * from './bytes.js';
export * from './hash.js';
export * from './reader.js';
export * from './writer.js';
export * from './compact-size.js';
export * from './u256.js';
export * from './compact.js';
export * from './difficulty.js';
export * from './merkle.js';
export * from './script.js';
export * from './script-num.js';
export * from './bip34.js';
export * from './outputs.js';
export * from './transaction.js';
export * from './witness-commitment.js';
export * from './bip141.js';
export * from './coinbase.js';
export * from './header.js';
export * from './block.js';
export * from './network.js';
export * from './address.js';
export * from './sigops.js';
export * from './tx-size.js';
export * from './subsidy.js';

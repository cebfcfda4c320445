// The bitcoind JSON-RPC client: one import for the roles.
export { BitcoinRpc } from './bitcoind.js';
export { JsonRpcClient, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS } from './client.js';
export type { RpcClientOptions, CallOptions, RetryPolicy } from './client.js';
export type { RpcAuth } from './auth.js';
export { RpcError, RPC_CODE, isRpcError } from './errors.js';
export type { RpcErrorKind } from './errors.js';
export { NETWORKS, isNetworkName, chainForNetwork, networkForChain } from './chain.js';
export type { NetworkName, ChainName } from './chain.js';
export type * from './types.js';

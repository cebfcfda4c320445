// One error type for everything that can go wrong talking to Bitcoin Core,
// with a `kind` callers can branch on and a message an operator can act on.

/** Error codes Bitcoin Core returns that the stack treats specially. */
export const RPC_CODE = {
  MISC_ERROR: -1,
  INVALID_PARAMETER: -8,
  CLIENT_NOT_CONNECTED: -9,
  CLIENT_IN_INITIAL_DOWNLOAD: -10,
  DESERIALIZATION_ERROR: -22,
  VERIFY_ERROR: -25,
  IN_WARMUP: -28,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  PARSE_ERROR: -32700,
} as const;

export type RpcErrorKind =
  /** TCP connection refused, host unknown, connection reset: the node is not reachable. */
  | 'connection'
  /** The cookie file could not be read. */
  | 'cookie'
  /** HTTP 401: wrong user/password or stale cookie. */
  | 'unauthorized'
  /** HTTP 403: our address is not in the node's rpcallowip. */
  | 'forbidden'
  /** RPC error -28: the node is starting (loading block index, verifying blocks, …). */
  | 'warming_up'
  /** RPC errors -9/-10: no peers, or still in initial block download. */
  | 'not_ready'
  /** HTTP 503: the node's RPC work queue is full. */
  | 'busy'
  /** The node is on another chain than the configured network. */
  | 'wrong_chain'
  /** RPC error -32601: the node does not know the method (old version, wallet disabled, …). */
  | 'method_not_found'
  /** Any other RPC error; `code` and `rpcMessage` hold the node's own words. */
  | 'rpc'
  /** No reply within the call's timeout. */
  | 'timeout'
  /** The caller aborted the call (its AbortSignal fired). */
  | 'aborted'
  /** The reply was not JSON-RPC (not JSON, wrong id, unexpected HTTP status). */
  | 'bad_reply';

export interface RpcErrorDetails {
  url: string;
  method: string;
  code?: number;
  rpcMessage?: string;
  httpStatus?: number;
  /** The request reached the node and may have run (the reply was lost). */
  maybeExecuted?: boolean;
  cause?: unknown;
}

export class RpcError extends Error {
  override readonly name = 'RpcError';
  readonly kind: RpcErrorKind;
  readonly url: string;
  readonly method: string;
  /** The node's RPC error code, when it sent one. */
  readonly code: number | undefined;
  /** The node's RPC error message, when it sent one. */
  readonly rpcMessage: string | undefined;
  readonly httpStatus: number | undefined;
  /** The node may have run the call even though no reply arrived (dropped connection, timeout). */
  readonly maybeExecuted: boolean;

  constructor(kind: RpcErrorKind, message: string, details: RpcErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.url = details.url;
    this.method = details.method;
    this.code = details.code;
    this.rpcMessage = details.rpcMessage;
    this.httpStatus = details.httpStatus;
    this.maybeExecuted = details.maybeExecuted ?? kind === 'timeout';
  }
}

export function isRpcError(e: unknown, kind?: RpcErrorKind): e is RpcError {
  return e instanceof RpcError && (kind === undefined || e.kind === kind);
}

/** Builds the RpcError for an error object a node returned in a JSON-RPC reply. */
export function fromRpcErrorObject(
  obj: { code: number; message: string },
  url: string,
  method: string,
  httpStatus: number,
): RpcError {
  const d = { url, method, code: obj.code, rpcMessage: obj.message, httpStatus };
  switch (obj.code) {
    case RPC_CODE.IN_WARMUP:
      return new RpcError('warming_up', `Bitcoin Core at ${url} is still starting: ${obj.message}`, d);
    case RPC_CODE.CLIENT_NOT_CONNECTED:
    case RPC_CODE.CLIENT_IN_INITIAL_DOWNLOAD:
      return new RpcError('not_ready', `Bitcoin Core at ${url} is not ready for mining: ${obj.message}`, d);
    case RPC_CODE.METHOD_NOT_FOUND:
      return new RpcError(
        'method_not_found',
        `Bitcoin Core at ${url} does not know the RPC method "${method}" — is the node too old, or is this call disabled there?`,
        d,
      );
    default:
      return new RpcError('rpc', `${method} failed at ${url}: ${obj.message} (RPC error ${obj.code})`, d);
  }
}

// Result shapes of the Bitcoin Core RPC calls the stack uses (fields as Core
// names them; amounts in getblocktemplate are satoshis, elsewhere BTC).

export interface BlockTemplateTransaction {
  /** Serialized transaction, hex, with witness data. */
  data: string;
  /** Transaction id (no witness), RPC byte order. */
  txid: string;
  /** Witness transaction id, RPC byte order. */
  hash: string;
  /** 1-based indexes of earlier template transactions this one spends. */
  depends: number[];
  /** Fee in satoshis. */
  fee: number;
  sigops: number;
  weight: number;
}

export interface BlockTemplate {
  capabilities: string[];
  version: number;
  rules: string[];
  vbavailable: Record<string, number>;
  vbrequired: number;
  previousblockhash: string;
  transactions: BlockTemplateTransaction[];
  coinbaseaux: Record<string, string>;
  /** Subsidy plus fees, satoshis. */
  coinbasevalue: number;
  longpollid: string;
  /** Block target, hex, big-endian. */
  target: string;
  mintime: number;
  mutable: string[];
  noncerange: string;
  sigoplimit: number;
  sizelimit: number;
  weightlimit: number;
  curtime: number;
  /** Compact target, hex. */
  bits: string;
  height: number;
  /** Present on signet. */
  signet_challenge?: string;
  /** Full scriptPubKey hex of the witness commitment output, when the block has witness transactions or segwit is active. */
  default_witness_commitment?: string;
}

export interface GetBlockTemplateOptions {
  /** Default ["segwit"]; signet also needs "signet". */
  rules?: string[];
  /** Wait until the template identified by this id is stale (longpoll). */
  longpollid?: string;
  /** Aborts the call (e.g. a longpoll on shutdown). */
  signal?: AbortSignal;
  /** Defaults: none for longpoll, the client's timeout otherwise. */
  timeoutMs?: number;
}

export interface BlockchainInfo {
  chain: string;
  blocks: number;
  headers: number;
  bestblockhash: string;
  /** Present in Core 28+. */
  bits?: string;
  target?: string;
  difficulty: number;
  time?: number;
  mediantime: number;
  verificationprogress: number;
  initialblockdownload: boolean;
  chainwork: string;
  size_on_disk: number;
  pruned: boolean;
  /** A string before Core 28, an array after. */
  warnings: string | string[];
}

export interface BlockHeaderVerbose {
  hash: string;
  confirmations: number;
  height: number;
  version: number;
  versionHex: string;
  merkleroot: string;
  time: number;
  mediantime: number;
  nonce: number;
  bits: string;
  target?: string;
  difficulty: number;
  chainwork: string;
  nTx: number;
  previousblockhash?: string;
  nextblockhash?: string;
}

export interface ScriptPubKey {
  asm: string;
  hex: string;
  type: string;
  address?: string;
}

export interface RawTransactionVerbose {
  txid: string;
  hash: string;
  version: number;
  size: number;
  vsize: number;
  weight: number;
  locktime: number;
  vin: Array<{
    txid?: string;
    vout?: number;
    coinbase?: string;
    scriptSig?: { asm: string; hex: string };
    txinwitness?: string[];
    sequence: number;
  }>;
  vout: Array<{ value: number; n: number; scriptPubKey: ScriptPubKey }>;
  hex: string;
  /** Present for a transaction in a block (BTC, verbosity 2 of getblock). */
  fee?: number;
  blockhash?: string;
  confirmations?: number;
  time?: number;
  blocktime?: number;
}

export interface BlockVerbose extends BlockHeaderVerbose {
  size: number;
  strippedsize: number;
  weight: number;
  /** txids (verbosity 1). */
  tx: string[];
}

export interface BlockVerboseTx extends Omit<BlockVerbose, 'tx'> {
  /** Decoded transactions (verbosity 2). */
  tx: RawTransactionVerbose[];
}

export interface MempoolEntry {
  vsize: number;
  weight: number;
  time: number;
  height: number;
  descendantcount: number;
  descendantsize: number;
  ancestorcount: number;
  ancestorsize: number;
  wtxid: string;
  /** BTC amounts. */
  fees: { base: number; modified: number; ancestor: number; descendant: number };
  depends: string[];
  spentby: string[];
  'bip125-replaceable'?: boolean;
  unbroadcast?: boolean;
}

export interface GenerateBlockResult {
  hash: string;
  /** Present when the block was generated with submit=false. */
  hex?: string;
}

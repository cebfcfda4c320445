// Checks that a result has the shape its call declares before any caller
// reads it: a node (or whatever answers on its port) that sends null, a
// number where a hex string belongs, or a fee of 1e400 gets one clear
// RpcError 'bad_reply' naming the field, not a TypeError somewhere later.
import { bitsToTarget } from '../bitcoin/compact.js';
import { RpcError } from './errors.js';
import type { BlockTemplate, BlockchainInfo, MempoolEntry } from './types.js';

/** What is wrong with a value (its path, then `: problem`), or undefined when it fits. */
type Check = (v: unknown) => string | undefined;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const HASH = /^[0-9a-fA-F]{64}$/;

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const hex: Check = (v) =>
  typeof v === 'string' && HEX.test(v) ? undefined : `: expected hex, got ${show(v)}`;
const hash: Check = (v) =>
  typeof v === 'string' && HASH.test(v) ? undefined : `: expected a 64-digit hex hash, got ${show(v)}`;
const string: Check = (v) => (typeof v === 'string' ? undefined : `: expected a string, got ${show(v)}`);
const bits: Check = (v) => {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{8}$/.test(v)) return `: expected 8 hex digits, got ${show(v)}`;
  try {
    bitsToTarget(parseInt(v, 16));
  } catch (e) {
    return `: ${(e as Error).message}`;
  }
  return undefined;
};

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max
      ? undefined
      : `: expected an integer in ${min}..${max}, got ${show(v)}`;
}

const count = integer(0);
const finite: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : `: expected a number, got ${show(v)}`;

function optional(check: Check): Check {
  return (v) => (v === undefined ? undefined : check(v));
}

function arrayOf(check: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return `: expected an array, got ${show(v)}`;
    for (let i = 0; i < v.length; i++) {
      const p = check(v[i]);
      if (p !== undefined) return `[${i}]${p}`;
    }
    return undefined;
  };
}

function object(fields: Record<string, Check>): Check {
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return `: expected an object, got ${show(v)}`;
    for (const [name, check] of Object.entries(fields)) {
      const p = check((v as Record<string, unknown>)[name]);
      if (p !== undefined) return `.${name}${p}`;
    }
    return undefined;
  };
}

/** The fields of a template the stack reads (src/roles/tp/template.ts), with the ranges Bitcoin Core keeps to. */
const blockTemplate = object({
  version: integer(-0x80000000, 0xffffffff),
  previousblockhash: hash,
  transactions: arrayOf(
    object({
      data: hex,
      txid: hash,
      hash: hash,
      fee: count,
      sigops: count,
      weight: count,
      depends: arrayOf(integer(1)),
    }),
  ),
  coinbasevalue: count,
  longpollid: string,
  target: optional(hash),
  bits,
  height: count,
  curtime: count,
  weightlimit: count,
  sigoplimit: count,
  default_witness_commitment: optional(hex),
});

const blockchainInfo = object({ chain: string, blocks: count });

const mempoolEntry = object({ fees: object({ base: finite }) });

export const SHAPES = {
  getblocktemplate: blockTemplate,
  getblockchaininfo: blockchainInfo,
  getbestblockhash: hash,
  submitblock: (v: unknown) => (v === null ? undefined : string(v)),
  getrawtransaction: string,
  getmempoolentry: mempoolEntry,
} satisfies Record<string, Check>;

export type ShapedMethod = keyof typeof SHAPES;

interface ShapeOf {
  getblocktemplate: BlockTemplate;
  getblockchaininfo: BlockchainInfo;
  getbestblockhash: string;
  submitblock: string | null;
  getrawtransaction: string;
  getmempoolentry: MempoolEntry;
}

/** Returns `value` typed as `method`'s result, or throws RpcError 'bad_reply' naming the first field that does not fit. */
export function checkShape<M extends ShapedMethod>(method: M, value: unknown, url: string): ShapeOf[M] {
  const problem = SHAPES[method](value);
  if (problem !== undefined) {
    throw new RpcError(
      'bad_reply',
      `Bitcoin Core at ${url} sent a malformed reply to ${method}: result${problem}`,
      { url, method },
    );
  }
  return value as ShapeOf[M];
}

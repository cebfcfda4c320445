// getblocktemplate (BIP22/BIP23 with segwit, shaped like Bitcoin Core's
// answer). Transactions are picked by fee rate until weight or sigops run out;
// the selection is cached per (tip, mempool sequence), only the clock moves.
import { bytesToHex, toDisplayHex, witnessCommitmentScript } from '../../bitcoin/index.js';
import type { BlockTemplate } from '../../rpc/index.js';
import { commitmentFor } from './block.js';
import type { Chain } from './chain.js';
import {
  BLOCK_VERSION,
  MAX_BLOCK_SIGOPS_COST,
  MAX_BLOCK_WEIGHT,
  REGTEST_BITS,
  blockSubsidy,
  targetHex,
} from './consensus.js';
import type { MempoolEntry } from './mempool.js';

/** Room Core keeps for the coinbase and header. */
const COINBASE_WEIGHT_RESERVE = 4000;
const COINBASE_SIGOPS_RESERVE = 400;

export interface Selection {
  tipHash: string;
  mempoolSequence: number;
  entries: MempoolEntry[];
  fees: bigint;
}

/** Core's longpoll id: tip hash followed by the mempool update counter. */
export function longpollId(chain: Chain): string {
  return chain.tip.hashHex + String(chain.mempool.sequence);
}

export function selectTransactions(chain: Chain): Selection {
  let weight = COINBASE_WEIGHT_RESERVE;
  let sigops = COINBASE_SIGOPS_RESERVE;
  let fees = 0n;
  const entries: MempoolEntry[] = [];
  for (const e of chain.mempool.byFeeRate()) {
    if (weight + e.info.weight > MAX_BLOCK_WEIGHT || sigops + e.sigops > MAX_BLOCK_SIGOPS_COST) continue;
    weight += e.info.weight;
    sigops += e.sigops;
    fees += e.fee;
    entries.push(e);
  }
  return { tipHash: chain.tip.hashHex, mempoolSequence: chain.mempool.sequence, entries, fees };
}

export class TemplateBuilder {
  private cached: { selection: Selection; template: Omit<BlockTemplate, 'curtime'> } | null = null;

  constructor(private readonly chain: Chain) {}

  /** Current selection (cached until the tip or the mempool changes). */
  selection(): Selection {
    return this.build().selection;
  }

  template(now: number): BlockTemplate {
    const { template } = this.build();
    return { ...template, curtime: Math.max(now, template.mintime) };
  }

  private build(): { selection: Selection; template: Omit<BlockTemplate, 'curtime'> } {
    const chain = this.chain;
    if (
      this.cached &&
      this.cached.selection.tipHash === chain.tip.hashHex &&
      this.cached.selection.mempoolSequence === chain.mempool.sequence
    ) {
      return this.cached;
    }
    const selection = selectTransactions(chain);
    const height = chain.height + 1;
    const commitment = commitmentFor(selection.entries.map((e) => e.info));
    const template: Omit<BlockTemplate, 'curtime'> = {
      capabilities: ['proposal'],
      version: BLOCK_VERSION,
      rules: ['csv', '!segwit', 'taproot'],
      vbavailable: {},
      vbrequired: 0,
      previousblockhash: chain.tip.hashHex,
      transactions: selection.entries.map((e) => ({
        data: e.info.raw.toString('hex'),
        txid: e.txidHex,
        hash: toDisplayHex(e.info.wtxid),
        depends: [],
        fee: Number(e.fee),
        sigops: e.sigops,
        weight: e.info.weight,
      })),
      coinbaseaux: {},
      coinbasevalue: Number(blockSubsidy(height) + selection.fees),
      longpollid: longpollId(chain),
      target: targetHex(REGTEST_BITS),
      mintime: chain.tip.medianTimePast + 1,
      mutable: ['time', 'transactions', 'prevblock'],
      noncerange: '00000000ffffffff',
      sigoplimit: MAX_BLOCK_SIGOPS_COST,
      sizelimit: MAX_BLOCK_WEIGHT,
      weightlimit: MAX_BLOCK_WEIGHT,
      bits: REGTEST_BITS.toString(16).padStart(8, '0'),
      height,
      default_witness_commitment: bytesToHex(witnessCommitmentScript(commitment)),
    };
    this.cached = { selection, template };
    return this.cached;
  }
}

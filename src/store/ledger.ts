// Blocks found, their PPLNS payouts and the credit each account carries
// forward. Recording a block's payouts happens once per block (a retry changes
// nothing); each credit change is kept per block so an orphaned block's
// payouts can be undone and a block that comes back can be redone.
import type { SqliteDatabase } from './db.js';
import type { PplnsOutput } from './pplns.js';
import type { Block, BlockInput, BlockStatus, Payout } from './types.js';

const STATUSES: readonly BlockStatus[] = ['pending', 'confirmed', 'orphaned'];

interface BlockRow {
  height: number;
  hash: string;
  account: string | null;
  worker: string | null;
  reward_sats: number;
  coinbase_value: number;
  status: BlockStatus;
  time: number;
  payouts_recorded: number;
}

function toBlock(r: BlockRow): Block {
  return {
    ...r,
    reward_sats: BigInt(r.reward_sats),
    coinbase_value: BigInt(r.coinbase_value),
    payouts_recorded: r.payouts_recorded !== 0,
  };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Sats are stored as SQLite integers; every amount in Bitcoin fits in 2^53. */
function sats(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`amount ${v} sats is out of range`);
  }
  return Number(v);
}

const BLOCK_SELECT = `SELECT b.height, b.hash, a.name AS account, w.name AS worker, b.reward_sats, b.coinbase_value,
    b.status, b.time, b.payouts_recorded
  FROM blocks b LEFT JOIN accounts a ON a.id = b.account_id LEFT JOIN workers w ON w.id = b.worker_id`;

export class Ledger {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly accountId: (name: string) => number | undefined,
  ) {}

  /** Records a found block; returns false if its hash was already recorded. */
  recordBlock(b: BlockInput): boolean {
    if (!/^[0-9a-f]{64}$/.test(b.hash)) throw new RangeError('block hash must be 64 lowercase hex digits');
    const status = b.status ?? 'pending';
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    const account_id = b.account === null ? null : (this.accountId(b.account) ?? null);
    let worker_id: number | null = null;
    if (account_id !== null && b.worker !== null) {
      const w = this.db
        .prepare('SELECT id FROM workers WHERE account_id = ? AND name = ?')
        .get(account_id, b.worker) as { id: number } | undefined;
      worker_id = w?.id ?? null;
    }
    const info = this.db
      .prepare(
        `INSERT INTO blocks (hash, height, account_id, worker_id, reward_sats, coinbase_value, status, time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
      )
      .run(
        b.hash,
        b.height,
        account_id,
        worker_id,
        sats(b.reward_sats),
        sats(b.coinbase_value),
        status,
        b.time ?? Date.now(),
      );
    return info.changes === 1;
  }

  getBlock(hash: string): Block | undefined {
    const r = this.db.prepare(`${BLOCK_SELECT} WHERE b.hash = ?`).get(hash) as BlockRow | undefined;
    return r ? toBlock(r) : undefined;
  }

  /** Newest first. */
  blocks(limit = 50, offset = 0): Block[] {
    const rows = this.db
      .prepare(`${BLOCK_SELECT} ORDER BY b.time DESC, b.height DESC LIMIT ? OFFSET ?`)
      .all(limit, offset) as BlockRow[];
    return rows.map(toBlock);
  }

  /**
   * Sets a block's status. Turning a block orphaned gives back the credit its
   * payouts consumed and removes the credit they created (the coinbase never
   * paid anyone); leaving the orphaned status applies them again.
   * Returns false when the block is unknown or already had this status.
   */
  updateBlockStatus(hash: string, status: BlockStatus): boolean {
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT status FROM blocks WHERE hash = ?').get(hash) as
        { status: BlockStatus } | undefined;
      if (!row || row.status === status) return false;
      this.db.prepare('UPDATE blocks SET status = ? WHERE hash = ?').run(status, hash);
      const sign = status === 'orphaned' ? -1 : row.status === 'orphaned' ? 1 : 0;
      if (sign !== 0) {
        this.db
          .prepare(
            `INSERT INTO pplns_credits (account_id, credit)
               SELECT account_id, ? * delta FROM pplns_credit_changes WHERE block_hash = ?
             ON CONFLICT DO UPDATE SET credit = credit + excluded.credit`,
          )
          .run(sign, hash);
      }
      return true;
    })();
  }

  /** Carried-forward credit per account name (accounts with a non-zero credit). */
  credits(): Map<string, bigint> {
    const rows = this.db
      .prepare(
        `SELECT a.name, c.credit FROM pplns_credits c JOIN accounts a ON a.id = c.account_id
         WHERE c.credit != 0 ORDER BY a.name`,
      )
      .all() as { name: string; credit: number }[];
    return new Map(rows.map((r) => [r.name, BigInt(r.credit)]));
  }

  /**
   * Records a block's payouts (the miners' outputs of computePplnsPayouts;
   * the pool's output has account null and is not a payout) and sets every
   * account in `carried` to its new credit. Runs once per block: a second
   * call for the same block changes nothing and returns false.
   */
  recordBlockPayouts(
    block_hash: string,
    outputs: readonly PplnsOutput[],
    carried: ReadonlyMap<string, bigint>,
  ): boolean {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT payouts_recorded, status FROM blocks WHERE hash = ?')
        .get(block_hash) as { payouts_recorded: number; status: BlockStatus } | undefined;
      if (!row) throw new Error(`unknown block ${block_hash}: record the block first`);
      if (row.payouts_recorded !== 0) return false;
      if (row.status === 'orphaned') throw new Error(`block ${block_hash} is orphaned: it pays nobody`);
      const idOf = (name: string): number => {
        const id = this.accountId(name);
        if (id === undefined) throw new Error(`unknown account ${JSON.stringify(name)} in payouts`);
        return id;
      };
      const insertPayout = this.db.prepare(
        `INSERT INTO payouts (block_hash, account_id, script, amount) VALUES (?, ?, ?, ?)
         ON CONFLICT (block_hash, account_id) DO NOTHING`,
      );
      for (const o of outputs) {
        if (o.account === null) continue;
        insertPayout.run(block_hash, idOf(o.account), hex(o.script), sats(o.value));
      }
      const getCredit = this.db.prepare('SELECT credit FROM pplns_credits WHERE account_id = ?');
      const setCredit = this.db.prepare(
        `INSERT INTO pplns_credits (account_id, credit) VALUES (?, ?)
         ON CONFLICT DO UPDATE SET credit = excluded.credit`,
      );
      const logChange = this.db.prepare(
        `INSERT INTO pplns_credit_changes (block_hash, account_id, delta) VALUES (?, ?, ?)
         ON CONFLICT DO NOTHING`,
      );
      for (const [name, credit] of carried) {
        const id = idOf(name);
        const old = (getCredit.get(id) as { credit: number } | undefined)?.credit ?? 0;
        const next = sats(credit);
        setCredit.run(id, next);
        if (next !== old) logChange.run(block_hash, id, next - old);
      }
      this.db.prepare('UPDATE blocks SET payouts_recorded = 1 WHERE hash = ?').run(block_hash);
      return true;
    })();
  }

  payouts(filter: { block_hash?: string; account?: string } = {}): Payout[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.block_hash !== undefined) {
      where.push('p.block_hash = ?');
      args.push(filter.block_hash);
    }
    if (filter.account !== undefined) {
      where.push('p.account_id = ?');
      args.push(this.accountId(filter.account) ?? -1);
    }
    const rows = this.db
      .prepare(
        `SELECT p.block_hash, a.name AS account, p.script, p.amount FROM payouts p
         JOIN accounts a ON a.id = p.account_id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY p.block_hash, p.amount DESC, a.name`,
      )
      .all(...args) as { block_hash: string; account: string; script: string; amount: number }[];
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }
}

// Blocks found, their PPLNS payouts and the credit each account carries
// forward. Recording a block's payouts happens once per block (a retry changes
// nothing); each credit change is kept per block so a block that leaves the
// chain (orphaned, rejected) has its payouts undone and a block that comes
// back has them redone.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './db.js';
import type { PplnsOutput } from './pplns.js';
import { KEPT_STATUSES, type Block, type BlockInput, type BlockStatus, type Payout } from './types.js';

const STATUSES: readonly BlockStatus[] = ['pending', 'confirmed', 'orphaned', 'rejected'];

/** A block whose coinbase pays nobody: not (or no longer) on the chain. */
export function offChain(status: BlockStatus): boolean {
  return !KEPT_STATUSES.includes(status);
}

interface BlockRow {
  height: number;
  hash: string;
  prev_hash: string | null;
  account: string | null;
  worker: string | null;
  reward_sats: number;
  coinbase_value: number;
  status: BlockStatus;
  time: number;
  payouts_recorded: number;
}

/** What the block keeper follows: a block not settled for good. */
export interface BlockState {
  hash: string;
  height: number;
  prev_hash: string | null;
  status: BlockStatus;
  payouts_recorded: boolean;
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

const BLOCK_SELECT = `SELECT b.height, b.hash, b.prev_hash, a.name AS account, w.name AS worker, b.reward_sats,
    b.coinbase_value, b.status, b.time, b.payouts_recorded
  FROM blocks b LEFT JOIN accounts a ON a.id = b.account_id LEFT JOIN workers w ON w.id = b.worker_id`;
const KEPT_SQL = KEPT_STATUSES.map((s) => `'${s}'`).join(', ');

export class Ledger {
  private readonly cache = new Map<string, Statement>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly accountId: (name: string) => number | undefined,
  ) {}

  private q(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) this.cache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Records a found block; returns false if its hash was already recorded. */
  recordBlock(b: BlockInput): boolean {
    if (!/^[0-9a-f]{64}$/.test(b.hash)) throw new RangeError('block hash must be 64 lowercase hex digits');
    if (b.prev_hash !== undefined && !/^[0-9a-f]{64}$/.test(b.prev_hash))
      throw new RangeError('prev_hash must be 64 lowercase hex digits');
    const status = b.status ?? 'pending';
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    const account_id = b.account === null ? null : (this.accountId(b.account) ?? null);
    let worker_id: number | null = null;
    if (account_id !== null && b.worker !== null) {
      const w = this.q('SELECT id FROM workers WHERE account_id = ? AND name = ?').get(
        account_id,
        b.worker,
      ) as { id: number } | undefined;
      worker_id = w?.id ?? null;
    }
    const info = this.q(
      `INSERT INTO blocks (hash, height, prev_hash, account_id, worker_id, reward_sats, coinbase_value, status, time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
    ).run(
      b.hash,
      b.height,
      b.prev_hash ?? null,
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
    const r = this.q(`${BLOCK_SELECT} WHERE b.hash = ?`).get(hash) as BlockRow | undefined;
    return r ? toBlock(r) : undefined;
  }

  /** Newest first; `kept` lists only blocks the chain kept (pending and confirmed). */
  blocks(limit = 50, offset = 0, options: { kept?: boolean } = {}): Block[] {
    const where = options.kept ? `WHERE b.status IN (${KEPT_SQL})` : '';
    const rows = this.q(`${BLOCK_SELECT} ${where} ORDER BY b.time DESC, b.height DESC LIMIT ? OFFSET ?`).all(
      limit,
      offset,
    ) as BlockRow[];
    return rows.map(toBlock);
  }

  /** Number of recorded blocks per status (every status present, 0 when none). */
  blockCounts(): Record<BlockStatus, number> {
    const out = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<BlockStatus, number>;
    const rows = this.q('SELECT status, COUNT(*) AS n FROM blocks GROUP BY status').all() as {
      status: BlockStatus;
      n: number;
    }[];
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /**
   * Heights with blocks whose status can still change: pending ones, and
   * orphaned or rejected ones at most `depth` below the highest recorded
   * block (a reorg may bring an orphan back; a refusal of one serialization
   * of a block does not keep another with the same header off the chain).
   * Ascending.
   */
  unsettledHeights(depth: number): number[] {
    return (
      this.q(
        `SELECT height FROM blocks WHERE status = 'pending'
         UNION
         SELECT height FROM blocks WHERE status IN ('orphaned', 'rejected')
           AND height >= (SELECT MAX(height) FROM blocks) - ?
         ORDER BY height`,
      ).all(depth) as { height: number }[]
    ).map((r) => r.height);
  }

  /**
   * The blocks at `height` whose status depends on which block the chain
   * has there: `hash` (when recorded) and every block there the chain kept.
   */
  blocksAt(height: number, hash: string | null): BlockState[] {
    const rows = this.q(
      `SELECT hash, height, prev_hash, status, payouts_recorded FROM blocks
       WHERE height = ? AND (hash = ? OR status IN (${KEPT_SQL})) ORDER BY rowid`,
    ).all(height, hash) as (Omit<BlockState, 'payouts_recorded'> & { payouts_recorded: number })[];
    return rows.map((r) => ({ ...r, payouts_recorded: r.payouts_recorded !== 0 }));
  }

  /**
   * Sets a block's status. A block leaving the chain (orphaned, rejected)
   * gives back the credit its payouts consumed and removes the credit they
   * created (the coinbase never paid anyone); coming back applies them again.
   * Returns false when the block is unknown or already had this status.
   */
  updateBlockStatus(hash: string, status: BlockStatus): boolean {
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    return this.db.transaction(() => {
      const row = this.q('SELECT status FROM blocks WHERE hash = ?').get(hash) as
        { status: BlockStatus } | undefined;
      if (!row || row.status === status) return false;
      this.q('UPDATE blocks SET status = ? WHERE hash = ?').run(status, hash);
      const was = offChain(row.status);
      const sign = offChain(status) === was ? 0 : was ? 1 : -1;
      if (sign !== 0) {
        this.q(
          `INSERT INTO pplns_credits (account_id, credit)
             SELECT account_id, ? * delta FROM pplns_credit_changes WHERE block_hash = ?
           ON CONFLICT DO UPDATE SET credit = credit + excluded.credit`,
        ).run(sign, hash);
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
   * the pool's output has account null and is not a payout) and moves every
   * account in `carried` to the credit the coinbase left it with. With
   * `before`, the credits the payout was computed from, each account's credit
   * changes by carried − before, whatever other blocks did to it since (a
   * block recorded late, after a competitor at its height left the chain,
   * stays exact); without it the credit is set to `carried`. Runs once per
   * block: a second call for the same block changes nothing and returns
   * false. A block off the chain (orphaned, rejected) pays nobody: refused.
   */
  recordBlockPayouts(
    block_hash: string,
    outputs: readonly PplnsOutput[],
    carried: ReadonlyMap<string, bigint>,
    before?: ReadonlyMap<string, bigint>,
  ): boolean {
    return this.db.transaction(() => {
      const row = this.q('SELECT payouts_recorded, status FROM blocks WHERE hash = ?').get(block_hash) as
        { payouts_recorded: number; status: BlockStatus } | undefined;
      if (!row) throw new Error(`unknown block ${block_hash}: record the block first`);
      if (row.payouts_recorded !== 0) return false;
      if (offChain(row.status)) throw new Error(`block ${block_hash} is ${row.status}: it pays nobody`);
      const idOf = (name: string): number => {
        const id = this.accountId(name);
        if (id === undefined) throw new Error(`unknown account ${JSON.stringify(name)} in payouts`);
        return id;
      };
      const insertPayout = this.q(
        `INSERT INTO payouts (block_hash, account_id, script, amount) VALUES (?, ?, ?, ?)
         ON CONFLICT (block_hash, account_id) DO NOTHING`,
      );
      for (const o of outputs) {
        if (o.account === null) continue;
        insertPayout.run(block_hash, idOf(o.account), hex(o.script), sats(o.value));
      }
      const getCredit = this.q('SELECT credit FROM pplns_credits WHERE account_id = ?');
      const setCredit = this.q(
        `INSERT INTO pplns_credits (account_id, credit) VALUES (?, ?)
         ON CONFLICT DO UPDATE SET credit = excluded.credit`,
      );
      const logChange = this.q(
        `INSERT INTO pplns_credit_changes (block_hash, account_id, delta) VALUES (?, ?, ?)
         ON CONFLICT DO NOTHING`,
      );
      for (const [name, credit] of carried) {
        const id = idOf(name);
        const old = (getCredit.get(id) as { credit: number } | undefined)?.credit ?? 0;
        const delta = before === undefined ? sats(credit) - old : sats(credit - (before.get(name) ?? 0n));
        if (delta === 0) continue;
        setCredit.run(id, old + delta);
        logChange.run(block_hash, id, delta);
      }
      this.q('UPDATE blocks SET payouts_recorded = 1 WHERE hash = ?').run(block_hash);
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

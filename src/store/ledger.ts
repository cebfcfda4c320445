// Blocks found, their PPLNS payouts and the credit each account carries
// forward. Recording a block's payouts happens once per block (a retry changes
// nothing); each credit change is kept per block so a block that leaves the
// chain (orphaned, rejected) has its payouts undone and a block that comes
// back has them redone.
import type { PplnsOutput } from './pplns.js';
import type { SqlEngine, SqlQueryable } from './sql.js';
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

/** Sats are stored as 64-bit integers and read back as numbers; every amount in Bitcoin fits in 2^53. */
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
  /** PostgreSQL: rows a transaction reads before it changes them are locked (SQLite locks the whole database). */
  private readonly forUpdate: string;
  /** Insertion order of blocks. */
  private readonly seq: string;

  constructor(
    private readonly db: SqlEngine,
    /** The id of an account, read through `q` (inside a transaction: its queryable). */
    private readonly accountId: (name: string, q: SqlQueryable) => Promise<number | undefined>,
  ) {
    this.forUpdate = db.kind === 'postgres' ? ' FOR UPDATE' : '';
    this.seq = db.kind === 'postgres' ? 'seq' : 'rowid';
  }

  /** Records a found block; returns false if its hash was already recorded. */
  async recordBlock(b: BlockInput): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(b.hash)) throw new RangeError('block hash must be 64 lowercase hex digits');
    if (b.prev_hash !== undefined && !/^[0-9a-f]{64}$/.test(b.prev_hash))
      throw new RangeError('prev_hash must be 64 lowercase hex digits');
    const status = b.status ?? 'pending';
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    const reward = sats(b.reward_sats);
    const value = sats(b.coinbase_value);
    const account_id = b.account === null ? null : ((await this.accountId(b.account, this.db)) ?? null);
    let worker_id: number | null = null;
    if (account_id !== null && b.worker !== null) {
      const w = await this.db.get<{ id: number }>(
        'SELECT id FROM workers WHERE account_id = ? AND name = ?',
        [account_id, b.worker],
      );
      worker_id = w?.id ?? null;
    }
    const changes = await this.db.run(
      `INSERT INTO blocks (hash, height, prev_hash, account_id, worker_id, reward_sats, coinbase_value, status, time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
      [
        b.hash,
        b.height,
        b.prev_hash ?? null,
        account_id,
        worker_id,
        reward,
        value,
        status,
        b.time ?? Date.now(),
      ],
    );
    return changes === 1;
  }

  async getBlock(hash: string): Promise<Block | undefined> {
    const r = await this.db.get<BlockRow>(`${BLOCK_SELECT} WHERE b.hash = ?`, [hash]);
    return r ? toBlock(r) : undefined;
  }

  /** Newest first; `kept` lists only blocks the chain kept (pending and confirmed). */
  async blocks(limit = 50, offset = 0, options: { kept?: boolean } = {}): Promise<Block[]> {
    const where = options.kept ? `WHERE b.status IN (${KEPT_SQL})` : '';
    const rows = await this.db.all<BlockRow>(
      `${BLOCK_SELECT} ${where} ORDER BY b.time DESC, b.height DESC LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    return rows.map(toBlock);
  }

  /** Number of recorded blocks per status (every status present, 0 when none). */
  async blockCounts(): Promise<Record<BlockStatus, number>> {
    const out = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<BlockStatus, number>;
    const rows = await this.db.all<{ status: BlockStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM blocks GROUP BY status',
    );
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
  async unsettledHeights(depth: number): Promise<number[]> {
    const rows = await this.db.all<{ height: number }>(
      `SELECT height FROM blocks WHERE status = 'pending'
       UNION
       SELECT height FROM blocks WHERE status IN ('orphaned', 'rejected')
         AND height >= (SELECT MAX(height) FROM blocks) - ?
       ORDER BY height`,
      [depth],
    );
    return rows.map((r) => r.height);
  }

  /**
   * The blocks at `height` whose status depends on which block the chain
   * has there: `hash` (when recorded) and every block there the chain kept.
   */
  async blocksAt(height: number, hash: string | null, q: SqlQueryable = this.db): Promise<BlockState[]> {
    const rows = await q.all<Omit<BlockState, 'payouts_recorded'> & { payouts_recorded: number }>(
      `SELECT hash, height, prev_hash, status, payouts_recorded FROM blocks
       WHERE height = ? AND (hash = ? OR status IN (${KEPT_SQL})) ORDER BY ${this.seq}`,
      [height, hash],
    );
    return rows.map((r) => ({ ...r, payouts_recorded: r.payouts_recorded !== 0 }));
  }

  /** Display hash of the block a recorded block builds on (null: unknown or not recorded). */
  async prevHashOf(hash: string): Promise<string | null> {
    const row = await this.db.get<{ prev_hash: string | null }>(
      'SELECT prev_hash FROM blocks WHERE hash = ?',
      [hash],
    );
    return row?.prev_hash ?? null;
  }

  /** Runs `fn` in one transaction of the store's database (the block keeper settles a height at once). */
  transaction<T>(fn: (q: SqlQueryable) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** A block's status read inside a transaction, locking its row where the engine needs it. */
  async statusOf(hash: string, q: SqlQueryable = this.db): Promise<BlockStatus | undefined> {
    const row = await q.get<{ status: BlockStatus }>(
      `SELECT status FROM blocks WHERE hash = ?${this.forUpdate}`,
      [hash],
    );
    return row?.status;
  }

  /** The other blocks at `height` the chain kept (pending, confirmed). */
  async keptAt(
    height: number,
    except: string,
    q: SqlQueryable = this.db,
  ): Promise<{ hash: string; status: BlockStatus }[]> {
    return q.all(
      `SELECT hash, status FROM blocks WHERE height = ? AND hash != ? AND status IN (${KEPT_SQL}) ORDER BY ${this.seq}`,
      [height, except],
    );
  }

  /**
   * Sets a block's status. A block leaving the chain (orphaned, rejected)
   * gives back the credit its payouts consumed and removes the credit they
   * created (the coinbase never paid anyone); coming back applies them again.
   * Returns false when the block is unknown or already had this status.
   * With `q`, runs inside that transaction; otherwise in its own.
   */
  async updateBlockStatus(hash: string, status: BlockStatus, q?: SqlQueryable): Promise<boolean> {
    if (!STATUSES.includes(status)) throw new RangeError(`unknown block status ${status}`);
    if (q === undefined) return this.db.transaction((tx) => this.updateBlockStatus(hash, status, tx));
    const was = await this.statusOf(hash, q);
    if (was === undefined || was === status) return false;
    await q.run('UPDATE blocks SET status = ? WHERE hash = ?', [status, hash]);
    const off = offChain(was);
    const sign = offChain(status) === off ? 0 : off ? 1 : -1;
    if (sign !== 0) {
      await q.run(
        `INSERT INTO pplns_credits (account_id, credit)
           SELECT account_id, ? * delta FROM pplns_credit_changes WHERE block_hash = ?
         ON CONFLICT (account_id) DO UPDATE SET credit = pplns_credits.credit + excluded.credit`,
        [sign, hash],
      );
    }
    return true;
  }

  /** Carried-forward credit per account name (accounts with a non-zero credit). */
  async credits(): Promise<Map<string, bigint>> {
    const rows = await this.db.all<{ name: string; credit: number }>(
      `SELECT a.name, c.credit FROM pplns_credits c JOIN accounts a ON a.id = c.account_id
       WHERE c.credit != 0 ORDER BY a.name`,
    );
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
   * With `q`, runs inside that transaction; otherwise in its own.
   */
  async recordBlockPayouts(
    block_hash: string,
    outputs: readonly PplnsOutput[],
    carried: ReadonlyMap<string, bigint>,
    before?: ReadonlyMap<string, bigint>,
    q?: SqlQueryable,
  ): Promise<boolean> {
    if (q === undefined) {
      return this.db.transaction((tx) => this.recordBlockPayouts(block_hash, outputs, carried, before, tx));
    }
    const row = await q.get<{ payouts_recorded: number; status: BlockStatus }>(
      `SELECT payouts_recorded, status FROM blocks WHERE hash = ?${this.forUpdate}`,
      [block_hash],
    );
    if (!row) throw new Error(`unknown block ${block_hash}: record the block first`);
    if (row.payouts_recorded !== 0) return false;
    if (offChain(row.status)) throw new Error(`block ${block_hash} is ${row.status}: it pays nobody`);
    const idOf = async (name: string): Promise<number> => {
      const id = await this.accountId(name, q);
      if (id === undefined) throw new Error(`unknown account ${JSON.stringify(name)} in payouts`);
      return id;
    };
    for (const o of outputs) {
      if (o.account === null) continue;
      await q.run(
        `INSERT INTO payouts (block_hash, account_id, script, amount) VALUES (?, ?, ?, ?)
         ON CONFLICT (block_hash, account_id) DO NOTHING`,
        [block_hash, await idOf(o.account), hex(o.script), sats(o.value)],
      );
    }
    for (const [name, credit] of carried) {
      const id = await idOf(name);
      const old =
        (
          await q.get<{ credit: number }>(
            `SELECT credit FROM pplns_credits WHERE account_id = ?${this.forUpdate}`,
            [id],
          )
        )?.credit ?? 0;
      const delta = before === undefined ? sats(credit) - old : sats(credit - (before.get(name) ?? 0n));
      if (delta === 0) continue;
      await q.run(
        `INSERT INTO pplns_credits (account_id, credit) VALUES (?, ?)
         ON CONFLICT (account_id) DO UPDATE SET credit = excluded.credit`,
        [id, old + delta],
      );
      await q.run(
        `INSERT INTO pplns_credit_changes (block_hash, account_id, delta) VALUES (?, ?, ?)
         ON CONFLICT (block_hash, account_id) DO NOTHING`,
        [block_hash, id, delta],
      );
    }
    await q.run('UPDATE blocks SET payouts_recorded = 1 WHERE hash = ?', [block_hash]);
    return true;
  }

  async payouts(filter: { block_hash?: string; account?: string } = {}): Promise<Payout[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.block_hash !== undefined) {
      where.push('p.block_hash = ?');
      args.push(filter.block_hash);
    }
    if (filter.account !== undefined) {
      where.push('p.account_id = ?');
      args.push((await this.accountId(filter.account, this.db)) ?? -1);
    }
    const rows = await this.db.all<{ block_hash: string; account: string; script: string; amount: number }>(
      `SELECT p.block_hash, a.name AS account, p.script, p.amount FROM payouts p
       JOIN accounts a ON a.id = p.account_id ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY p.block_hash, p.amount DESC, a.name`,
      args,
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }
}

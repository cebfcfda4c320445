// The store's schema as a list of migrations. open() applies the ones a
// database has not seen yet, in version order, each in its own transaction,
// and records each version in `schema_version`. Append new migrations; never
// edit old ones.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Per-bucket aggregate columns shared by every stats table. */
const BUCKET_COLUMNS = `
  accepted_difficulty REAL NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0`;

// Stats are kept at two resolutions (1 minute for the 10 min / 1 h windows,
// 10 minutes for 24 h and the charts) and three scopes (pool, account,
// worker), all updated in the share batch's transaction, so reads touch at
// most a few thousand small rows and never the shares table.
function statsTables(): string {
  const out: string[] = [];
  for (const res of ['1m', '10m']) {
    out.push(`CREATE TABLE stats_pool_${res} (bucket INTEGER PRIMARY KEY,${BUCKET_COLUMNS});`);
    out.push(
      `CREATE TABLE stats_account_${res} (account_id INTEGER NOT NULL, bucket INTEGER NOT NULL,${BUCKET_COLUMNS},
        PRIMARY KEY (account_id, bucket)) WITHOUT ROWID;`,
    );
    out.push(
      `CREATE TABLE stats_worker_${res} (worker_id INTEGER NOT NULL, bucket INTEGER NOT NULL,${BUCKET_COLUMNS},
        PRIMARY KEY (worker_id, bucket)) WITHOUT ROWID;`,
    );
    // Pruning deletes old buckets by time across all keys.
    out.push(`CREATE INDEX stats_account_${res}_bucket ON stats_account_${res} (bucket);`);
    out.push(`CREATE INDEX stats_worker_${res}_bucket ON stats_worker_${res} (bucket);`);
  }
  return out.join('\n');
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'accounts, workers, shares, rejects, stats buckets, blocks, payouts, credits',
    sql: `
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE UNIQUE,
        password_hash TEXT,
        payout_address TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE workers (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts (id),
        name TEXT NOT NULL,
        user_agent TEXT,
        first_seen INTEGER NOT NULL,
        last_share_at INTEGER,
        best_share_difficulty REAL NOT NULL DEFAULT 0,
        current_difficulty REAL,
        accepted INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account_id, name)
      );
      -- Accepted shares only; the rowid order is the commit order PPLNS walks.
      CREATE TABLE shares (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL,
        worker_id INTEGER NOT NULL,
        difficulty REAL NOT NULL,
        share_difficulty REAL NOT NULL,
        channel_id INTEGER NOT NULL,
        job_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        is_block INTEGER NOT NULL DEFAULT 0
      );
      -- Rejected shares are counted, not stored: per worker, reason and 10-minute bucket.
      CREATE TABLE rejects (
        worker_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (worker_id, bucket, reason)
      ) WITHOUT ROWID;
      CREATE INDEX rejects_bucket ON rejects (bucket);
      -- All-time reject counts per account and reason (bucketed rows get pruned).
      CREATE TABLE reject_totals (
        account_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, reason)
      ) WITHOUT ROWID;
      ${statsTables()}
      CREATE TABLE blocks (
        hash TEXT PRIMARY KEY,
        height INTEGER NOT NULL,
        account_id INTEGER,
        worker_id INTEGER,
        reward_sats INTEGER NOT NULL,
        coinbase_value INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'orphaned')),
        time INTEGER NOT NULL,
        payouts_recorded INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX blocks_time ON blocks (time);
      CREATE TABLE payouts (
        block_hash TEXT NOT NULL REFERENCES blocks (hash),
        account_id INTEGER NOT NULL REFERENCES accounts (id),
        script TEXT NOT NULL,
        amount INTEGER NOT NULL,
        PRIMARY KEY (block_hash, account_id)
      ) WITHOUT ROWID;
      CREATE INDEX payouts_account ON payouts (account_id);
      -- Carried-forward PPLNS credit per account (sats; negative = owed back after an orphan).
      CREATE TABLE pplns_credits (
        account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
        credit INTEGER NOT NULL DEFAULT 0
      );
      -- How each block's payout moved each credit, so an orphaned block can be undone.
      CREATE TABLE pplns_credit_changes (
        block_hash TEXT NOT NULL REFERENCES blocks (hash),
        account_id INTEGER NOT NULL,
        delta INTEGER NOT NULL,
        PRIMARY KEY (block_hash, account_id)
      ) WITHOUT ROWID;
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'web log-in and sign-up failure counts, logged-out sessions',
    sql: `
      -- Failures per scope (login_account, login_ip, signup_ip) and key (folded
      -- account name or IP address), counted from since; a lockout outlives a
      -- restart. Bounded per scope by the web page (expired rows pruned, oldest
      -- key dropped when full).
      CREATE TABLE web_failures (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        count INTEGER NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX web_failures_since ON web_failures (scope, since);
      -- Sessions logged out before they expire; a row is useless after expires
      -- (the cookie is refused by then) and is pruned.
      CREATE TABLE web_revoked_sessions (
        sid TEXT PRIMARY KEY,
        expires INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX web_revoked_sessions_expires ON web_revoked_sessions (expires);
    `,
  },
  {
    version: 3,
    description: "blocks: status 'rejected' (refused by the node), prev_hash, index on (status, height)",
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt
    // with every row kept (migrate() runs this with foreign keys off and
    // checks them before the commit).
    sql: `
      CREATE TABLE blocks_v3 (
        hash TEXT PRIMARY KEY,
        height INTEGER NOT NULL,
        -- Display hex of the block the candidate builds on; NULL for rows older than this column.
        prev_hash TEXT,
        account_id INTEGER,
        worker_id INTEGER,
        reward_sats INTEGER NOT NULL,
        coinbase_value INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'confirmed', 'orphaned', 'rejected')),
        time INTEGER NOT NULL,
        payouts_recorded INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO blocks_v3 (hash, height, account_id, worker_id, reward_sats, coinbase_value, status, time,
          payouts_recorded)
        SELECT hash, height, account_id, worker_id, reward_sats, coinbase_value, status, time, payouts_recorded
        FROM blocks;
      DROP TABLE blocks;
      ALTER TABLE blocks_v3 RENAME TO blocks;
      CREATE INDEX blocks_time ON blocks (time);
      CREATE INDEX blocks_status_height ON blocks (status, height);
      CREATE INDEX blocks_prev_hash ON blocks (prev_hash);
    `,
  },
];

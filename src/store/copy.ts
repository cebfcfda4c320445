// Moving a pool from its SQLite file to PostgreSQL: every table copied row
// for row into an empty PostgreSQL database of the same schema version, in
// one transaction (all or nothing), then the row counts compared and the id
// sequences moved past the copied ids.
import type { SqliteDatabase } from './db.js';
import { migratePostgres, postgresSchemaVersion, schemaVersion } from './db.js';
import { PostgresEngine, type SqlParam, type SqlQueryable } from './sql.js';

/** Tables others refer to go first. */
const FIRST = ['accounts', 'workers', 'blocks'];
/** Identity columns whose sequence must continue after the copied ids. */
const IDENTITIES = [
  ['accounts', 'id'],
  ['workers', 'id'],
  ['shares', 'id'],
] as const;
/** Bind parameters per INSERT, below PostgreSQL's limit of 65,535. */
const MAX_PARAMS = 30_000;

export interface CopyProgress {
  table: string;
  rows: number;
}

export interface CopyResult {
  tables: CopyProgress[];
  schema_version: number;
}

function tablesOf(db: SqliteDatabase): string[] {
  const names = (
    db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'`,
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
  const rest = names.filter((n) => !FIRST.includes(n)).sort();
  return [...FIRST.filter((n) => names.includes(n)), ...rest];
}

async function columnsOf(q: SqlQueryable, table: string): Promise<Set<string>> {
  const rows = await q.all<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER'
       AND NOT (is_identity = 'YES' AND identity_generation = 'ALWAYS')`,
    [table],
  );
  return new Set(rows.map((r) => r.column_name));
}

/**
 * Copies the SQLite database `db` (migrated to the latest schema by the
 * caller) into the PostgreSQL database at `url`, which must hold no pool data
 * yet (its schema is created if missing). `onTable` is called after each
 * table. Throws, leaving PostgreSQL unchanged, on any difference.
 */
export async function copySqliteToPostgres(
  db: SqliteDatabase,
  url: string,
  onTable: (p: CopyProgress) => void = () => {},
): Promise<CopyResult> {
  const version = schemaVersion(db);
  const engine = new PostgresEngine(url, { max_connections: 1 });
  try {
    await migratePostgres(engine);
    const pgVersion = await postgresSchemaVersion(engine);
    if (pgVersion !== version) {
      throw new Error(`schema versions differ: SQLite ${version}, PostgreSQL ${pgVersion}`);
    }
    return await engine.transaction(async (q) => {
      for (const t of ['accounts', 'shares', 'blocks']) {
        const n = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`);
        if ((n?.n ?? 0) > 0) throw new Error(`the PostgreSQL database already holds pool data (table ${t})`);
      }
      const tables: CopyProgress[] = [];
      for (const table of tablesOf(db)) {
        const pgColumns = await columnsOf(q, table);
        if (pgColumns.size === 0) throw new Error(`table ${table} is missing on PostgreSQL`);
        const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[])
          .map((c) => c.name)
          .filter((c) => pgColumns.has(c));
        const perInsert = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
        const list = columns.map((c) => `"${c}"`).join(', ');
        const order = table === 'blocks' || table === 'shares' || table === 'accounts' ? 'rowid' : list;
        const select = db.prepare(`SELECT ${list} FROM ${table} ORDER BY ${order}`).raw(true);
        let rows = 0;
        let chunk: SqlParam[][] = [];
        const send = async () => {
          if (chunk.length === 0) return;
          const one = `(${columns.map(() => '?').join(', ')})`;
          await q.run(
            `INSERT INTO ${table} (${list}) VALUES ${chunk.map(() => one).join(', ')}`,
            chunk.flat(),
          );
          rows += chunk.length;
          chunk = [];
        };
        for (const row of select.iterate() as Iterable<SqlParam[]>) {
          chunk.push(row);
          if (chunk.length >= perInsert) await send();
        }
        await send();
        const copied = await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
        const had = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        if (copied?.n !== had) throw new Error(`table ${table}: ${had} rows in SQLite, ${copied?.n} copied`);
        tables.push({ table, rows });
        onTable({ table, rows });
      }
      for (const [table, column] of IDENTITIES) {
        await q.run(
          `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), COALESCE(MAX(${column}), 0) + 1, false)
           FROM ${table}`,
        );
      }
      return { tables, schema_version: version };
    });
  } finally {
    await engine.close();
  }
}

// The engines the store's tests run on: a SQLite file, and a database on a
// throwaway PostgreSQL server (test/helpers/postgres.ts).
import type { TestContext } from 'node:test';
import { startPostgres } from '../helpers/postgres.js';
import { tempDbPath } from './tmp.js';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

/** A fresh, empty store location of `engine` (removed when `t` ends): a file path or a database URL. */
export async function storeLocation(t: TestContext, engine: Engine): Promise<string> {
  if (engine === 'sqlite') return tempDbPath(t);
  return (await startPostgres(t)).createDatabase();
}

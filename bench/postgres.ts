// A throwaway PostgreSQL server for benchmark modules: the tests' cluster
// (initdb in a temporary directory, unix socket only, removed at the end),
// but with the server's durability settings kept by default, so committed
// rows per second mean what they mean on a real server.
import {
  postgresBinDir,
  startPostgresCluster,
  type PostgresCluster,
  type PostgresClusterOptions,
} from '../test/helpers/postgres.js';
import type { Cleanup } from '../test/helpers/resources.js';

export type { PostgresCluster };

/** Whether the PostgreSQL server programs are installed (a module can skip its PostgreSQL figures). */
export function hasPostgres(): boolean {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a cluster of its own, stopped with `scope`'s cleanups (and, failing
 * that, when the process ends). `durable: false` turns fsync and synchronous
 * commit off, as in the tests.
 */
export async function startBenchPostgres(
  scope?: Cleanup,
  options: PostgresClusterOptions = { durable: true },
): Promise<PostgresCluster> {
  const cluster = await startPostgresCluster(options);
  scope?.after(() => cluster.stop());
  return cluster;
}

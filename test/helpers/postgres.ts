// A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster
// (initdb) in a temporary directory, trust authentication, no TCP port (the
// only way in is the unix socket inside that directory), removed with
// everything in it when it stops.
//
// One cluster serves a whole test process (startPostgres is memoized); every
// test takes a database of its own (createDatabase) so tests stay
// independent. The server never outlives the process that started it: a
// small watchdog shell, started first and detached, waits for its stdin to
// close (stop(), or the process ending in any way, even SIGKILL), then shuts
// the server down (immediate mode), waits for it to be gone and removes the
// directory.
//
// initdb and postgres refuse to run as root: as root they run as the
// `postgres` system user (created by Debian's postgresql package) through
// runuser, and the directory is handed to that user.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Cleanup } from './resources.js';

/** The superuser initdb creates; the URLs connect as it (no password). */
export const PG_USER = 'strata';
/** Only names the socket file (.s.PGSQL.5432): the server listens on no TCP port. */
const PORT = 5432;
/** A unix socket path must fit in sockaddr_un (107 bytes on Linux). */
const MAX_SOCKET_PATH = 107;
const START_TIMEOUT_S = 60;

export interface PostgresCluster {
  /** The directory holding the socket, the data directory (data/) and the server log (server.log). */
  readonly dir: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** Milliseconds initdb and the start took. */
  readonly startupMs: number;
  /** A connection URL for database `dbName` (default `postgres`) over the unix socket. */
  url(dbName?: string): string;
  /** Creates a fresh, empty database (a unique name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Shuts the server down, waits until its process is gone and removes the directory. */
  stop(): Promise<void>;
}

export interface PostgresClusterOptions {
  /**
   * Keep the server's durability settings (fsync, synchronous commit):
   * for measurements. Off by default: a test cluster is thrown away, and
   * skipping the flushes makes it faster to set up and to use.
   */
  durable?: boolean;
}

let binDirCache: string | undefined;

/**
 * The directory holding the server programs (initdb, pg_ctl, postgres):
 * `pg_config --bindir` when it has them (Debian's libpq-dev ships pg_config
 * without the server), else the newest /usr/lib/postgresql/N/bin.
 */
export function postgresBinDir(): string {
  if (binDirCache) return binDirCache;
  const has = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((p) => existsSync(join(dir, p)));
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim());
  } catch {
    // no pg_config on PATH
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian server package
  }
  const found = candidates.find(has);
  if (!found) {
    throw new Error(
      'the PostgreSQL server programs (initdb, pg_ctl, postgres) are missing: install the Debian ' +
        'package postgresql (.ci/run does), or put a pg_config whose --bindir has them on PATH',
    );
  }
  return (binDirCache = found);
}

/** The ids of the `postgres` system user, for running the server when this process is root. */
function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no postgres system user to run it as: ' +
        'install the Debian package postgresql (it creates that user), or run the tests as another user',
    );
  }
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/**
 * Whether process `pid` still runs. An exited process waiting to be reaped
 * (a zombie: the server's parent is init once pg_ctl has returned, and init
 * may reap late) counts as gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    // Gone between the two looks, or no /proc (then kill's answer stands).
    return !existsSync('/proc/self');
  }
}

// The watchdog: blocks on stdin until it closes, then takes the server down
// (SIGQUIT is PostgreSQL's immediate shutdown; the postmaster stops its
// backends itself), waits up to 10 s for it to be gone, kills its process
// group (pg_ctl starts it in a session of its own) if it is not, and removes
// the directory. Detached, so a Ctrl-C at the terminal reaches the server and
// the tests but not this.
const WATCHDOG = `
cat >/dev/null
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pidfile="$1/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  if [ -n "$pid" ] && alive "$pid"; then
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while alive "$pid" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
    if alive "$pid"; then kill -KILL -"$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; fi
    while alive "$pid"; do sleep 0.05; done
  fi
fi
rm -rf "$1"
`;

/** Runs a program to its end (bounded at 2 min); fails with its output and the server log's tail. */
async function runProgram(argv: string[], what: string, log?: string, hint = ''): Promise<void> {
  try {
    await promisify(execFile)(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
    const tail = log ? `\nserver log (last lines):\n${logTail(log)}` : '';
    throw new Error(`PostgreSQL ${what} failed: ${out}${tail}${hint}`);
  }
}

/**
 * Starts a new cluster of its own (not shared): the caller stops it, or it
 * stops when this process ends.
 */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const started = performance.now();
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'strata-pg-'));
  const socket = join(dir, `.s.PGSQL.${PORT}`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL socket path too long (${socket}): set TMPDIR to a shorter directory`);
  }

  const watchdog: ChildProcess = spawn('sh', ['-c', WATCHDOG, 'strata-pg-watchdog', dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const watchdogGone = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
  watchdog.unref();
  // Keep the pipe open but do not hold the event loop for it: when this
  // process ends, the pipe closes and the watchdog cleans up.
  (watchdog.stdin as unknown as { unref(): void }).unref();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      watchdog.ref(); // this process now waits for it
      watchdog.stdin!.end();
      await watchdogGone;
    })();
    return stopping;
  };

  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const as = (argv: string[]) => (owner ? ['runuser', '-u', 'postgres', '--', ...argv] : argv);
    const data = join(dir, 'data');
    const log = join(dir, 'server.log');
    await runProgram(
      as([
        join(bin, 'initdb'),
        '--pgdata',
        data,
        '--username',
        PG_USER,
        '--auth',
        'trust',
        '--encoding',
        'UTF8',
        '--locale',
        'C',
        '--no-sync',
      ]),
      'initdb',
      undefined,
      owner
        ? `\n(run as the postgres user: it must be able to reach ${tmpdir()}; TMPDIR picks another directory)`
        : '',
    );
    const settings = [
      `-c listen_addresses=''`,
      `-c port=${PORT}`,
      `-c unix_socket_directories='${dir}'`,
      '-c max_connections=100',
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    await runProgram(
      as([
        join(bin, 'pg_ctl'),
        'start',
        '--pgdata',
        data,
        '--log',
        log,
        '--wait',
        '--timeout',
        String(START_TIMEOUT_S),
        '--silent',
        '-o',
        settings,
      ]),
      `server start (bounded at ${START_TIMEOUT_S} s)`,
      log,
    );
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) {
      throw new Error(`PostgreSQL server is not running after its start; log:\n${logTail(log)}`);
    }
    const startupMs = Math.round(performance.now() - started);

    const url = (dbName = 'postgres') =>
      `postgres://${PG_USER}@/${encodeURIComponent(dbName)}?host=${encodeURIComponent(dir)}`;
    return {
      dir,
      pid,
      startupMs,
      url,
      async createDatabase(name?: string) {
        const db = name ?? databaseName();
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(db)) throw new Error(`unusable database name: ${db}`);
        await adminQuery(url(), `CREATE DATABASE ${db}`);
        return url(db);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

let serial = 0;

/** A database name unique in this process. */
function databaseName(): string {
  return `t${process.pid}_${++serial}`;
}

/** One statement on a short-lived connection (CREATE/DROP DATABASE cannot run in a pooled transaction). */
async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let shared: Promise<PostgresCluster> | undefined;

/**
 * The test process's cluster, started at the first call. With `t`, the
 * databases created through the returned handle are dropped when `t` ends
 * (their open connections are closed by the server); the cluster itself
 * lives until stop() or the end of the process.
 */
export async function startPostgres(t?: Cleanup): Promise<PostgresCluster> {
  if (!shared) {
    const starting = startPostgresCluster();
    shared = starting;
    // A failed start is not cached: the next call tries again (and fails with its own error).
    starting.catch(() => {
      if (shared === starting) shared = undefined;
    });
  }
  const current = shared;
  const cluster = await current;
  return {
    get dir() {
      return cluster.dir;
    },
    get pid() {
      return cluster.pid;
    },
    get startupMs() {
      return cluster.startupMs;
    },
    url: (dbName?: string) => cluster.url(dbName),
    async createDatabase(name?: string) {
      const db = name ?? databaseName();
      const url = await cluster.createDatabase(db);
      t?.after(async () => {
        if (!isProcessAlive(cluster.pid)) return;
        await adminQuery(cluster.url(), `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
      });
      return url;
    },
    async stop() {
      if (shared === current) shared = undefined;
      await cluster.stop();
    },
  };
}

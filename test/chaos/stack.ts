// The stack of the kill loops: devnet, tp, pool and translator started with
// exactly the command lines start-pool.sh runs (from `scripts/stack.mjs
// plan` on a stack.toml with its own directory and free loopback ports),
// after the same preparation (authority keys, the job declaration token
// secret, pool accounts). A killed role is started again with the same
// command line, as an operator re-running start-pool.sh would.
import { execFileSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers/paths.js';
import { startNode, type RoleProcess } from '../helpers/process.js';
import { freePorts } from '../helpers/resources.js';
import { stackToml, tomlString } from '../stack/stack-helpers.js';

export const ROLES = ['devnet', 'tp', 'pool', 'translator'] as const;
export type Role = (typeof ROLES)[number];

/** The log record each role writes once it serves (start-pool.sh waits for its port; this is the same moment). */
const READY: Record<Role, string> = {
  devnet: 'listening',
  tp: 'listening',
  pool: 'pool ready',
  translator: 'listening',
};

/** Seconds a role gets to be ready (start-pool.sh's start_timeout_secs default). */
export const START_TIMEOUT_MS = 60_000;

/** The values of `scripts/stack.mjs plan` (bash assignments) as strings and word lists. */
export function parsePlan(text: string): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  const word = /'((?:[^']|'\\'')*)'/g;
  const unquote = (s: string) => s.replace(/'\\''/g, "'");
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const value = m[2]!;
    if (value.startsWith('(')) {
      out.set(
        m[1]!,
        [...value.matchAll(word)].map((w) => unquote(w[1]!)),
      );
    } else {
      const w = /^'((?:[^']|'\\'')*)'$/.exec(value);
      out.set(m[1]!, w ? unquote(w[1]!) : value);
    }
  }
  return out;
}

export interface StackPorts {
  devnet: number;
  tp: number;
  pool: number;
  web: number;
  translator: number;
}

export class ChaosStack {
  readonly procs = new Map<Role, RoleProcess>();
  /** Set while a role is being killed on purpose (its exit is expected). */
  private readonly expected = new Set<Role>();
  /** Roles that exited without being killed: a role needing a manual step. */
  readonly unexpectedExits: { role: Role; code: number | string | null; at: number }[] = [];
  readonly db: string;
  private readonly commands: Record<Role, string[]>;

  private constructor(
    readonly dir: string,
    readonly ports: StackPorts,
    plan: Map<string, string | string[]>,
  ) {
    this.db = join(dir, 'data', 'pool.db');
    const cmd = (role: Role) => {
      const argv = plan.get(`CMD_${role}`);
      if (!Array.isArray(argv) || argv[0] !== 'node') throw new Error(`the plan has no command for ${role}`);
      return argv.slice(1);
    };
    this.commands = {
      devnet: cmd('devnet'),
      tp: cmd('tp'),
      pool: cmd('pool'),
      translator: cmd('translator'),
    };
    const accountCmd = plan.get('ACCOUNT_CMD');
    if (!Array.isArray(accountCmd)) throw new Error('the plan has no account command');
    this.accountCmd = accountCmd.slice(1);
  }

  private readonly accountCmd: string[];

  /**
   * Writes `<dir>/stack.toml` (config/stack.toml with this directory's data
   * and logs, loopback, free ports) beside copies of the roles' files, and
   * prepares what start-pool.sh prepares: keys, token secret, accounts.
   */
  static async prepare(dir: string, accounts: string[]): Promise<ChaosStack> {
    for (const f of ['devnet.toml', 'tp.toml', 'pool.toml', 'translator.toml']) {
      copyFileSync(join(ROOT, 'config', f), join(dir, f));
    }
    const [devnet, tp, pool, web, translator] = (await freePorts(5)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const ports = { devnet, tp, pool, web, translator };
    const file = join(dir, 'stack.toml');
    writeFileSync(
      file,
      stackToml({
        bind_address: tomlString('127.0.0.1'),
        data_dir: tomlString(join(dir, 'data')),
        logs_dir: tomlString(join(dir, 'logs')),
        'devnet.rpc_port': String(devnet),
        'tp.port': String(tp),
        'pool.port': String(pool),
        'pool.web_port': String(web),
        'translator.port': String(translator),
      }),
    );
    const plan = parsePlan(
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'stack.mjs'), 'plan', file], {
        encoding: 'utf8',
      }),
    );
    const stack = new ChaosStack(dir, ports, plan);
    const keys = plan.get('KEYS_DIR') as string;
    const run = (args: string[]) => execFileSync(process.execPath, args, { encoding: 'utf8', stdio: 'pipe' });
    for (const name of ['tp-authority', 'pool-authority'])
      run([CLI, 'keygen', '--out-dir', keys, '--name', name]);
    run([CLI, 'keygen', '--jd-token-secret', join(keys, 'jd-token.key')]);
    const planned = plan.get('ACCOUNTS');
    for (const name of [...(Array.isArray(planned) ? planned : []), ...accounts]) {
      run([...stack.accountCmd, 'account', 'add', name]);
    }
    return stack;
  }

  /** Starts `role` with start-pool.sh's command line; resolves once it is ready. */
  async start(role: Role): Promise<RoleProcess> {
    const proc = startNode(this.commands[role]);
    this.procs.set(role, proc);
    // Appended to <logs>/<role>.log, as start-pool.sh does.
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    const log = createWriteStream(join(this.dir, 'logs', `${role}.log`), { flags: 'a' });
    proc.child.stdout!.on('data', (b: Buffer) => log.write(b));
    proc.child.stderr!.on('data', (b: Buffer) => log.write(b));
    proc.child.once('close', () => log.end());
    proc.child.once('exit', (code, signal) => {
      if (this.procs.get(role) !== proc || this.expected.has(role) || this.stopping) return;
      this.unexpectedExits.push({ role, code: code ?? signal, at: Date.now() });
    });
    try {
      await proc.waitFor((r) => r.msg === READY[role], START_TIMEOUT_MS);
    } catch (err) {
      await proc.kill();
      throw new Error(`${role} did not come up: ${(err as Error).message}`);
    }
    // Only the records of the start were needed; keep memory flat over long runs.
    proc.records.length = 0;
    return proc;
  }

  /** The roles in start-pool.sh's order. */
  async startAll(): Promise<void> {
    for (const role of ROLES) await this.start(role);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(role: Role): Promise<void> {
    const proc = this.procs.get(role);
    if (!proc) return;
    this.expected.add(role);
    try {
      await proc.kill();
    } finally {
      this.expected.delete(role);
    }
  }

  /** Whether the role's current process is running. */
  running(role: Role): boolean {
    const p = this.procs.get(role);
    return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  }

  private stopping = false;

  /** SIGTERM (SIGKILL after 5 s) to every role, translator first. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const role of [...ROLES].reverse()) await this.procs.get(role)?.stop(5000);
  }

  /** SIGKILL to every role at once, without waiting (exit handlers). */
  killAllNow(): void {
    this.stopping = true;
    for (const p of this.procs.values()) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  }

  /** The last output lines of a role, for failure messages. */
  tail(role: Role, n = 20): string {
    return (this.procs.get(role)?.lines ?? []).slice(-n).join('\n');
  }
}

// `npm run chaos -- [options]`: the kill loops (see chaos.ts). One line per
// round, a JSON summary at the end; exit status 1 when a check failed, 2 on
// a usage error or when the run itself broke down.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { withFileLimit } from '../../bench/translator-process.js';
import { Chaos, DEFAULTS, type ChaosOptions } from './chaos.js';
import { ROLES, type Role } from './stack.js';

const USAGE = `Usage: npm run chaos -- [options]

Starts devnet, tp, pool and translator as start-pool.sh does (own directory,
loopback, free ports), V1 miners on the translator and SV2 miners on the
pool; each round SIGKILLs a random role at a random moment, starts it again
and checks the database, the shares and the miners' work.

  --seed N            PRNG seed for the roles and moments (default ${DEFAULTS.seed})
  --rounds N          rounds (default ${DEFAULTS.rounds})
  --v1 N              V1 miners through the translator (default ${DEFAULTS.v1})
  --sv2 N             SV2 miners on the pool (default ${DEFAULTS.sv2})
  --roles LIST        roles to kill, comma-separated (default ${ROLES.join(',')})
  --plan LIST         kill these roles in this order instead of at random
  --v1-interval S     mean seconds between one V1 miner's shares (default ${DEFAULTS.v1IntervalSecs})
  --sv2-interval S    mean seconds between one SV2 miner's shares (default ${DEFAULTS.sv2IntervalSecs})
  --kill-min S        earliest kill, seconds into a round (default ${DEFAULTS.killMinSecs})
  --kill-max S        latest kill, seconds into a round (default ${DEFAULTS.killMaxSecs})
  --keep              keep the stack's directory (database, keys)
  -h, --help          this help
`;

function roles(text: string, flag: string): Role[] {
  const out = text.split(',').map((s) => s.trim());
  for (const r of out) {
    if (!(ROLES as readonly string[]).includes(r)) throw new Error(`${flag}: unknown role "${r}"`);
  }
  return out as Role[];
}

function positive(text: string | undefined, flag: string, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${flag}: not a valid number: ${text}`);
  }
  return n;
}

export function parseOptions(argv: string[]): ChaosOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      rounds: { type: 'string' },
      v1: { type: 'string' },
      sv2: { type: 'string' },
      roles: { type: 'string' },
      plan: { type: 'string' },
      'v1-interval': { type: 'string' },
      'sv2-interval': { type: 'string' },
      'kill-min': { type: 'string' },
      'kill-max': { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const o: ChaosOptions = {
    ...DEFAULTS,
    seed: positive(values.seed, '--seed', DEFAULTS.seed),
    rounds: positive(values.rounds, '--rounds', DEFAULTS.rounds),
    v1: positive(values.v1, '--v1', DEFAULTS.v1),
    sv2: positive(values.sv2, '--sv2', DEFAULTS.sv2),
    roles: values.roles ? roles(values.roles, '--roles') : DEFAULTS.roles,
    ...(values.plan ? { plan: roles(values.plan, '--plan') } : {}),
    v1IntervalSecs: positive(values['v1-interval'], '--v1-interval', DEFAULTS.v1IntervalSecs, false),
    sv2IntervalSecs: positive(values['sv2-interval'], '--sv2-interval', DEFAULTS.sv2IntervalSecs, false),
    killMinSecs: positive(values['kill-min'], '--kill-min', DEFAULTS.killMinSecs, false),
    killMaxSecs: positive(values['kill-max'], '--kill-max', DEFAULTS.killMaxSecs, false),
    keep: values.keep === true,
  };
  if (o.killMaxSecs < o.killMinSecs) throw new Error('--kill-max is below --kill-min');
  if (o.v1IntervalSecs <= 0 || o.sv2IntervalSecs <= 0) throw new Error('intervals must be above 0');
  return o;
}

async function main(): Promise<void> {
  let o: ChaosOptions | undefined;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!o) {
    process.stdout.write(USAGE);
    return;
  }
  const chaos = new Chaos(o);
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      chaos.killNow();
      process.exit(130);
    }
    interrupted = true;
    console.error(`chaos: ${sig}; stopping every process started`);
    void chaos.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => chaos.killNow());
  try {
    const summary = await chaos.run();
    console.log(JSON.stringify(summary, null, 2));
    if (!summary.ok) {
      console.error(`chaos: ${summary.violations.length} violated checks`);
      process.exitCode = 1;
    }
  } catch (err) {
    console.error(`chaos: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 2;
  }
}

await withFileLimit(fileURLToPath(import.meta.url), main);

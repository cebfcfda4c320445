#!/usr/bin/env node
// `strata` entry point: one sub-command per role. A role registers itself in
// ROLES below only once it exists, so `strata --help` never lists vapour.
//
// `strata <role>` loads that role's module only: a role's process holds no
// other role's code (the translator's primary, for one, stays small; see
// roles/translator/index.ts). `strata --help` and anything that is not a
// role's name load them all.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** A role's CLI hook: adds its sub-command (with its own --help) to the program. */
export type RoleRegistration = (program: Command) => void;

/** Each role's sub-command name and module, in the order --help lists them. */
const ROLES: readonly (readonly [name: string, load: () => Promise<RoleRegistration>])[] = [
  ['keygen', async () => (await import('./roles/keygen.js')).registerKeygen],
  ['devnet', async () => (await import('./roles/devnet/index.js')).registerDevnet],
  ['tp', async () => (await import('./roles/tp/index.js')).registerTp],
  ['pool', async () => (await import('./roles/pool/index.js')).registerPool],
  ['translator', async () => (await import('./roles/translator/index.js')).registerTranslator],
  ['jds', async () => (await import('./roles/jds/index.js')).registerJds],
  ['jdc', async () => (await import('./roles/jdc/index.js')).registerJdc],
  [
    'miner',
    async () => {
      const { registerMiner } = await import('./roles/miner/index.js');
      return (program) => registerMiner(program);
    },
  ],
];

/**
 * The program with the sub-command `only` (a role's name), or with every
 * role's when `only` names none.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command();
  program
    .name('strata')
    .description(
      'Strata: a Stratum V2 mining stack (template provider bridge, pool, translator, job declarator server, miner)',
    )
    .version(pkg.version, '-V, --version', 'print the Strata version')
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
  const one = ROLES.filter(([name]) => name === only);
  for (const [, load] of one.length > 0 ? one : ROLES) (await load())(program);
  return program;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'));
if (isMain) {
  buildProgram(process.argv[2])
    .then((program) => program.parseAsync(process.argv))
    .catch((err: unknown) => {
      console.error(`strata: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}

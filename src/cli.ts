#!/usr/bin/env node
// `strata` entry point: one sub-command per role. A role registers itself in
// ROLES below only once it exists, so `strata --help` never lists vapour.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerDevnet } from './roles/devnet/index.js';
import { registerJds } from './roles/jds/index.js';
import { registerJdc } from './roles/jdc/index.js';
import { registerKeygen } from './roles/keygen.js';
import { registerMiner } from './roles/miner/index.js';
import { registerPool } from './roles/pool/index.js';
import { registerTp } from './roles/tp/index.js';
import { registerTranslator } from './roles/translator/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** A role's CLI hook: adds its sub-command (with its own --help) to the program. */
export type RoleRegistration = (program: Command) => void;

const ROLES: RoleRegistration[] = [
  registerKeygen,
  registerDevnet,
  registerTp,
  registerPool,
  registerTranslator,
  registerJds,
  registerJdc,
  (program) => registerMiner(program),
];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strata')
    .description(
      'Strata: a Stratum V2 mining stack (template provider bridge, pool, translator, job declarator server, miner)',
    )
    .version(pkg.version, '-V, --version', 'print the Strata version')
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
  for (const register of ROLES) register(program);
  return program;
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'));
if (isMain) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(`strata: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}

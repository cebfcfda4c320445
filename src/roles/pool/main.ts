#!/usr/bin/env node
// Stand-alone entry for the pool: `node dist/src/roles/pool/main.js [options]`
// (the same options as `strata pool`).
import { Command } from 'commander';
import { registerPool } from './index.js';

const program = new Command().name('strata-pool');
registerPool(program);
program.parseAsync(['pool', ...process.argv.slice(2)], { from: 'user' }).catch((err: unknown) => {
  console.error(`strata pool: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

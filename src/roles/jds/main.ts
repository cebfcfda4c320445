#!/usr/bin/env node
// Stand-alone entry for the job declarator server: `node dist/src/roles/jds/main.js [options]`
// (the same options as `strata jds`).
import { Command } from 'commander';
import { registerJds } from './index.js';

const program = new Command().name('strata-jds');
registerJds(program);
program.parseAsync(['jds', ...process.argv.slice(2)], { from: 'user' }).catch((err: unknown) => {
  console.error(`strata jds: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

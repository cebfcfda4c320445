#!/usr/bin/env node
// Stand-alone entry for the template provider: `node dist/src/roles/tp/main.js [options]`
// (the same options as `strata tp`).
import { Command } from 'commander';
import { registerTp } from './index.js';

const program = new Command().name('strata-tp');
registerTp(program);
program.parseAsync(['tp', ...process.argv.slice(2)], { from: 'user' }).catch((err: unknown) => {
  console.error(`strata tp: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

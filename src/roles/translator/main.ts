#!/usr/bin/env node
// Stand-alone entry for the translator: `node dist/src/roles/translator/main.js [options]`
// (the same options as `strata translator`).
import { Command } from 'commander';
import { registerTranslator } from './index.js';

const program = new Command().name('strata-translator');
registerTranslator(program);
program.parseAsync(['translator', ...process.argv.slice(2)], { from: 'user' }).catch((err: unknown) => {
  console.error(`strata translator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

// `npm run fuzz -- [--target NAME[,NAME…]] [--seconds N] [--inputs N] [--seed S] [--no-save] [--list]`
//
// Runs each target for N seconds (default 10) or N inputs, corpus first.
// Prints one JSON line per target (inputs, exceptions, slow inputs, slowest
// input, inputs/s, heap before/after) and saves every new crashing, hanging
// or slow input under test/fuzz-corpus/<target>/. Exits 1 on any finding.
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { runTarget } from './core.js';
import { TARGETS } from './targets/index.js';

function usage(): never {
  console.error(
    'usage: npm run fuzz -- [--target NAME[,NAME...]] [--seconds N] [--inputs N] [--seed S] [--slow-ms MS] [--no-save] [--list]\n' +
      `targets: ${TARGETS.map((t) => t.name).join(', ')}`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let names: string[] = [];
let seconds: number | undefined;
let inputs: number | undefined;
let seed = (Date.now() ^ process.pid) >>> 0;
let slowMs: number | undefined;
let save = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = (): string => args[++i] ?? usage();
  const num = (): number => {
    const n = Number(value());
    if (!Number.isFinite(n) || n < 0) usage();
    return n;
  };
  if (a === '--target') names.push(...value().split(','));
  else if (a === '--seconds') seconds = num();
  else if (a === '--inputs') inputs = num();
  else if (a === '--seed') seed = num() >>> 0;
  else if (a === '--slow-ms') slowMs = num();
  else if (a === '--no-save') save = false;
  else if (a === '--list') {
    for (const t of TARGETS) console.log(`${t.name.padEnd(16)} ${t.description}`);
    process.exit(0);
  } else usage();
}
if (seconds === undefined && inputs === undefined) seconds = 10;
if (names.length === 0) names = TARGETS.map((t) => t.name);
const chosen = names.map((n) => TARGETS.find((t) => t.name === n) ?? usage());

let findings = 0;
for (const target of chosen) {
  const stats = await runTarget(target, {
    seed,
    seconds,
    inputs,
    slowMs,
    save,
    corpusDir: join(ROOT, 'test', 'fuzz-corpus', target.name),
    onProgress: (s) =>
      console.error(`${s.target}: ${s.inputs} inputs, ${s.exceptions} exceptions, ${s.slow} slow`),
  });
  const { findings: list, ...figures } = stats;
  console.log(JSON.stringify(figures));
  for (const f of list) {
    findings++;
    console.error(`  ${f.kind}: ${f.message}${f.file ? ` -> ${f.file}` : ''}`);
  }
}
process.exit(findings > 0 ? 1 : 0);

// `npm run bench`: runs every bench/*.bench.ts module (compiled to dist/bench)
// in turn; each prints its figures as JSON lines. `npm run bench -- codec`
// runs only the modules whose file name contains "codec"; a filter that is a
// module's whole name ("noise" for noise.bench.ts) selects that module alone.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const dir = fileURLToPath(new URL('.', import.meta.url));
// Options (`--name value` or `--name=value`) are for the modules, which read
// process.argv themselves; the other arguments are module filters.
const args = process.argv.slice(2);
const filters = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && /^--[^=]+$/.test(args[i - 1]!)));
const all = readdirSync(dir);
const exact = (p: string) => all.includes(`${p}.bench.js`);
const modules = all
  .filter((f) => f.endsWith('.bench.js'))
  .filter(
    (f) => filters.length === 0 || filters.some((p) => f === `${p}.bench.js` || (!exact(p) && f.includes(p))),
  )
  .sort();

for (const file of modules) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: () => Promise<void> | void };
  await mod.default();
}

// Reads a role's TOML file, applies command-line overrides, and checks the
// result against the role's schema, reporting every problem at once.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  INVALID,
  isTable,
  joinKey,
  parseTable,
  unknownKeyProblem,
  type ConfigOf,
  type ParseContext,
  type Schema,
} from './fields.js';

/** Flat dotted keys (`listen_address`, `log.level`, `upstreams[0].port`) to typed values; undefined = not given. */
export type Overrides = Readonly<Record<string, unknown>>;

export const OVERRIDE_SOURCE = 'command line';

export interface ParseConfigOptions {
  /** Names the file in messages. */
  source: string;
  /** Relative paths in the file are resolved against this directory. */
  baseDir: string;
  overrides?: Overrides;
}

/**
 * Loads `path` (or only defaults and overrides when undefined) and returns the
 * checked config; throws ConfigError listing every problem.
 */
export function loadConfig<S extends Schema>(
  schema: S,
  path: string | undefined,
  overrides: Overrides = {},
): ConfigOf<S> {
  if (path === undefined) {
    return parseConfig(schema, undefined, { source: 'configuration', baseDir: process.cwd(), overrides });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError([{ source: path, key: '', problem: `cannot read the config file: ${why}` }]);
  }
  return parseConfig(schema, text, { source: path, baseDir: dirname(resolve(path)), overrides });
}

/** Checks TOML text (undefined = empty) against `schema`. */
export function parseConfig<S extends Schema>(
  schema: S,
  text: string | undefined,
  opts: ParseConfigOptions,
): ConfigOf<S> {
  let raw: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      raw = parse(text);
    } catch (e) {
      if (!(e instanceof TomlError)) throw e;
      const first = (e.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError([
        { source: `${opts.source}:${e.line}:${e.column}`, key: '', problem: `invalid TOML: ${first}` },
      ]);
    }
  }
  const issues: ConfigIssue[] = [];
  const overridden = applyOverrides(schema, raw, opts.overrides ?? {}, issues);
  const fromOverride = (key: string): boolean =>
    overridden.some((o) => key === o || key.startsWith(o + '.') || key.startsWith(o + '['));
  const ctx: ParseContext = {
    report: (key, problem) =>
      issues.push({ source: fromOverride(key) ? OVERRIDE_SOURCE : opts.source, key, problem }),
    // Paths typed on the command line are relative to where the command runs.
    baseDirFor: (key) => (fromOverride(key) ? process.cwd() : opts.baseDir),
  };
  const out = parseTable(schema, raw, '', ctx);
  if (issues.length > 0 || out === INVALID) throw new ConfigError(issues);
  return out;
}

type Step = { name: string } | { index: number };

function parseKeyPath(dotted: string): Step[] | undefined {
  const steps: Step[] = [];
  for (const part of dotted.split('.')) {
    const m = /^([A-Za-z0-9_-]+)((?:\[\d+\])*)$/.exec(part);
    if (m === null) return undefined;
    steps.push({ name: m[1] as string });
    for (const idx of (m[2] as string).matchAll(/\[(\d+)\]/g)) steps.push({ index: Number(idx[1]) });
  }
  return steps;
}

/** Writes each override into the raw tree; returns the dotted keys that were overridden. */
function applyOverrides(
  schema: Schema,
  raw: Record<string, unknown>,
  overrides: Overrides,
  issues: ConfigIssue[],
): string[] {
  const done: string[] = [];
  const report = (key: string, problem: string): void =>
    void issues.push({ source: OVERRIDE_SOURCE, key, problem });
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const steps = parseKeyPath(dotted);
    if (steps === undefined) {
      report(dotted, 'not a key path (expected e.g. `log.level` or `upstreams[0].port`)');
      continue;
    }
    let sch: Schema = schema;
    let node: Record<string, unknown> = raw;
    let key = '';
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step;
      if (!('name' in step)) {
        report(dotted, `\`${key}\` is not an array of tables`);
        break;
      }
      const field = Object.hasOwn(sch, step.name) ? sch[step.name] : undefined;
      key = joinKey(key, step.name);
      if (field === undefined) {
        report(key, unknownKeyProblem(step.name, Object.keys(sch)));
        break;
      }
      const last = i === steps.length - 1;
      if (last) {
        node[step.name] = value;
        done.push(key);
        break;
      }
      if (field.schema === undefined) {
        report(dotted, `\`${key}\` is not a table`);
        break;
      }
      sch = field.schema;
      if (field.type === 'table') {
        const child = node[step.name] ?? (node[step.name] = {});
        if (!isTable(child)) break; // the file's own wrong value is reported by the check
        node = child;
        continue;
      }
      // An array of tables: the next step must pick an existing entry.
      const next = steps[i + 1];
      const arr = node[step.name];
      const count = Array.isArray(arr) ? arr.length : 0;
      if (next === undefined || !('index' in next) || next.index >= count || !Array.isArray(arr)) {
        report(
          dotted,
          `\`${key}\` has ${count} entr${count === 1 ? 'y' : 'ies'}; pick one with \`${key}[i]\``,
        );
        break;
      }
      key = `${key}[${next.index}]`;
      i++;
      const child: unknown = arr[next.index];
      if (!isTable(child)) break;
      if (i === steps.length - 1) {
        report(dotted, `\`${key}\` is a whole table; override its keys one by one`);
        break;
      }
      node = child;
    }
  }
  return done;
}

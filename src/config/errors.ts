// Configuration problems, each naming where it comes from (file or command
// line) and the dotted key, so the operator can go straight to the line.

export interface ConfigIssue {
  /** The config file as given, or "command line". */
  source: string;
  /** Dotted key path, e.g. `upstreams[1].port`; empty for file-level problems. */
  key: string;
  /** What is wrong, e.g. `expected "host:port", got 3333`. */
  problem: string;
}

export function formatIssue(i: ConfigIssue): string {
  return i.key === '' ? `${i.source}: ${i.problem}` : `${i.source}: key \`${i.key}\`: ${i.problem}`;
}

/** Thrown by loadConfig; `message` holds one line per issue. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** How a raw value reads in a message: strings quoted, tables and arrays named. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return `the date ${v.toISOString()}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a table';
  return typeof v;
}

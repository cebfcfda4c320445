// Command-line flags that override config keys: one table of rows per role
// turns into commander options and, after parsing, into the flat overrides
// the config layer applies on top of the file.
import type { Command } from 'commander';

/** How a flag's text becomes a value: numbers are converted so the config check sees a number. */
export type FlagKind = 'string' | 'number' | 'boolean';

/** [config key (dotted for nested tables), flag ("--rpc-url <url>"), help, kind (default string)]. */
export type FlagRow = readonly [configKey: string, flag: string, help: string, kind?: FlagKind];

/** The property commander stores a flag under: "--rpc-url <url>" → "rpcUrl". */
export function flagProperty(flag: string): string {
  const long = flag.split(/[\s,]+/).find((part) => part.startsWith('--'));
  if (long === undefined) throw new Error(`flag "${flag}" has no --long form`);
  return long.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Adds one option per row; help texts name the config key they override. */
export function addConfigFlags(cmd: Command, rows: readonly FlagRow[]): Command {
  for (const [key, flag, help] of rows) cmd.option(flag, `${help} (${key})`);
  return cmd;
}

/**
 * The overrides given on the command line, keyed like the config file. Flags
 * not given are left out so file values and defaults stay in force. A number
 * flag whose text is not a number is passed through as text: the config layer
 * then reports it with the key's expected type.
 */
export function flagOverrides(
  rows: readonly FlagRow[],
  parsed: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, flag, , kind = 'string'] of rows) {
    const v = parsed[flagProperty(flag)];
    if (v === undefined) continue;
    if (kind === 'boolean') {
      if (typeof v === 'boolean') out[key] = v;
      else if (v === 'true' || v === 'false') out[key] = v === 'true';
      else out[key] = v;
      continue;
    }
    if (typeof v !== 'string') continue;
    if (kind === 'number') {
      const n = Number(v);
      out[key] = v.trim() !== '' && Number.isFinite(n) ? n : v;
    } else {
      out[key] = v;
    }
  }
  return out;
}

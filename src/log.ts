// Logging for every role: pino JSON lines for machines, and a compact one-line
// format when a person is watching a terminal.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  /** Role name, bound to every line (`role`). */
  role: string;
  /** Minimum level written; default `info`. */
  level?: LogLevel;
  /** Also append JSON lines to this file (created with its directory if missing). */
  file?: string;
  /** Human-readable lines on stdout; default: when stdout is a TTY. */
  pretty?: boolean;
  /** Where console lines go instead of stdout (tests). */
  stream?: { write(chunk: string): unknown };
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

// Fields every line carries or that the pretty line already shows in its own slot.
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'role', 'msg']);

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** Turns one pino JSON line into `HH:MM:SS.mmm LEVEL role msg key=value …`; non-JSON passes through. */
export function formatLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : line + '\n';
  }
  const t = typeof rec.time === 'number' ? new Date(rec.time) : new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const clock = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
  const level = LEVEL_NAMES[rec.level as number] ?? String(rec.level);
  const parts = [clock, level];
  if (rec.role !== undefined) parts.push(`[${String(rec.role)}]`);
  if (rec.msg !== undefined) parts.push(String(rec.msg));
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN.has(k)) continue;
    if (k === 'err' && v !== null && typeof v === 'object') {
      const e = v as { message?: unknown; stack?: unknown };
      parts.push(`err=${formatValue(e.message)}`);
      // Stack traces only at debug level and below keep normal lines short.
      if (typeof e.stack === 'string' && (rec.level as number) <= 20) parts.push('\n' + e.stack);
      continue;
    }
    parts.push(`${k}=${formatValue(v)}`);
  }
  return parts.join(' ') + '\n';
}

function prettyStream(out: { write(chunk: string): unknown }): DestinationStream {
  return { write: (chunk: string) => void out.write(formatLine(chunk)) };
}

/** Creates a role's root logger; use `logger.child({ peer })` per connection. */
export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? 'info';
  const out = opts.stream ?? process.stdout;
  const pretty = opts.pretty ?? (opts.stream === undefined && process.stdout.isTTY === true);
  const consoleStream: DestinationStream = pretty
    ? prettyStream(out)
    : opts.stream !== undefined
      ? { write: (chunk: string) => void out.write(chunk) }
      : pino.destination({ dest: 1, sync: true });
  const base = { role: opts.role };
  if (opts.file === undefined) {
    return pino({ level, base }, consoleStream);
  }
  // Synchronous file writes: a line that was logged is on disk even if the process dies next.
  const fileStream = pino.destination({ dest: opts.file, mkdir: true, sync: true });
  // The logger's own level filters; the streams take whatever reaches them.
  const streams = pino.multistream([
    { level: 'trace', stream: consoleStream },
    { level: 'trace', stream: fileStream },
  ]);
  return pino({ level, base }, streams);
}

// devnet settings: defaults, then the TOML file (-c), then command-line flags.
// Errors name the file and key so an operator can fix them at once.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { LOG_LEVELS, type LogLevel } from '../../log.js';

export interface DevnetConfig {
  rpc_bind: string;
  rpc_port: number;
  rpc_user: string;
  rpc_password: string;
  data_dir: string;
  synthetic_tx_per_minute: number;
  max_mempool_txs: number;
  longpoll_max_wait_secs: number;
  log_level: LogLevel;
}

export const DEVNET_DEFAULTS: DevnetConfig = {
  rpc_bind: '127.0.0.1',
  rpc_port: 18443,
  rpc_user: '',
  rpc_password: '',
  data_dir: './data/devnet',
  synthetic_tx_per_minute: 0,
  max_mempool_txs: 5000,
  longpoll_max_wait_secs: 60,
  log_level: 'info',
};

export class ConfigError extends Error {}

type Kind = 'string' | 'port' | 'count' | 'positive' | 'level';
const KINDS: Record<keyof DevnetConfig, Kind> = {
  rpc_bind: 'string',
  rpc_port: 'port',
  rpc_user: 'string',
  rpc_password: 'string',
  data_dir: 'string',
  synthetic_tx_per_minute: 'count',
  max_mempool_txs: 'count',
  longpoll_max_wait_secs: 'positive',
  log_level: 'level',
};

/** Checks one value; `where` is "file: key" or "--flag" for the message. */
function checkValue(kind: Kind, value: unknown, where: string): string | number {
  const num =
    typeof value === 'string' && kind !== 'string' && kind !== 'level' && value.trim() !== ''
      ? Number(value)
      : value;
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw new ConfigError(`${where}: expected a string`);
      return value;
    case 'level':
      if (typeof value !== 'string' || !LOG_LEVELS.includes(value as LogLevel)) {
        throw new ConfigError(`${where}: expected one of ${LOG_LEVELS.join(', ')}`);
      }
      return value;
    case 'port':
      if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num > 65535) {
        throw new ConfigError(`${where}: expected a port number 0-65535 (0 = any free port)`);
      }
      return num;
    case 'count':
      if (typeof num !== 'number' || !Number.isInteger(num) || num < 0) {
        throw new ConfigError(`${where}: expected a whole number >= 0`);
      }
      return num;
    case 'positive':
      if (typeof num !== 'number' || !(num > 0) || !Number.isFinite(num))
        throw new ConfigError(`${where}: expected a number > 0`);
      return num;
  }
}

/** Reads and validates a devnet TOML file (every key optional). */
export function loadDevnetFile(file: string): Partial<DevnetConfig> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!(key in KINDS))
      throw new ConfigError(`${file}: unknown key "${key}" (known: ${Object.keys(KINDS).join(', ')})`);
    out[key] = checkValue(KINDS[key as keyof DevnetConfig], value, `${file}: ${key}`);
  }
  return out as Partial<DevnetConfig>;
}

/** Command-line values (strings from commander) keyed like the file, with the flag for messages. */
export function resolveDevnetConfig(
  file: string | undefined,
  flags: Partial<Record<keyof DevnetConfig, { value: unknown; flag: string }>>,
): DevnetConfig {
  const merged: Record<string, unknown> = { ...DEVNET_DEFAULTS, ...(file ? loadDevnetFile(file) : {}) };
  for (const [key, given] of Object.entries(flags)) {
    if (given === undefined || given.value === undefined) continue;
    merged[key] = checkValue(KINDS[key as keyof DevnetConfig], given.value, given.flag);
  }
  return merged as unknown as DevnetConfig;
}

// `strata keygen`: writes a new authority key pair (spec 4.7 strings) for a
// pool, JDS or TP to sign its Noise certificates with, and loads such keys
// from configs, which may hold either the string itself or a path to a file.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  decodeAuthorityPublicKey,
  decodeAuthoritySecretKey,
  encodeAuthorityPublicKey,
  encodeAuthoritySecretKey,
  generateAuthorityKeyPair,
} from '../noise/keys.js';

export interface KeygenOptions {
  outDir: string;
  name: string;
  force: boolean;
}

export interface KeygenResult {
  publicKey: string;
  publicPath: string;
  secretPath: string;
}

export function writeAuthorityKeyPair(opts: KeygenOptions): KeygenResult {
  const dir = resolve(opts.outDir);
  const publicPath = join(dir, `${opts.name}.pub`);
  const secretPath = join(dir, `${opts.name}.key`);
  if (!opts.force) {
    for (const p of [publicPath, secretPath]) {
      if (existsSync(p)) throw new Error(`${p} already exists (use --force to overwrite)`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const pair = generateAuthorityKeyPair();
  const publicKey = encodeAuthorityPublicKey(pair.publicKey);
  writeFileSync(secretPath, encodeAuthoritySecretKey(pair.secretKey) + '\n', { mode: 0o600 });
  // writeFileSync's mode applies only to new files; an overwritten one keeps its old mode.
  chmodSync(secretPath, 0o600);
  writeFileSync(publicPath, publicKey + '\n', { mode: 0o644 });
  return { publicKey, publicPath, secretPath };
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('write a new authority key pair: NAME.pub (public key) and NAME.key (secret key, mode 0600)')
    .option('--out-dir <dir>', 'directory to write the key files into', '.')
    .option('--name <name>', 'base name of the key files', 'authority')
    .option('--force', 'overwrite existing key files', false)
    .action((o: { outDir: string; name: string; force: boolean }) => {
      if (!/^[A-Za-z0-9._-]+$/.test(o.name))
        throw new Error(`--name ${o.name}: use letters, digits, '.', '_' or '-'`);
      const r = writeAuthorityKeyPair({ outDir: o.outDir, name: o.name, force: o.force });
      process.stdout.write(`${r.publicKey}\n`);
      process.stderr.write(`wrote ${r.publicPath} and ${r.secretPath}\n`);
    });
}

/** The key string itself, or the first line of the file the value names. */
function keyText(value: string, what: string): { text: string; from: string } {
  const v = value.trim();
  if (/^[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(v) && !existsSync(v)) return { text: v, from: 'config value' };
  let content: string;
  try {
    content = readFileSync(v, 'utf8');
  } catch (err) {
    throw new Error(`${what}: "${v}" is neither a key nor a readable file (${(err as Error).message})`);
  }
  return { text: content.trim(), from: v };
}

/** Loads a 32-byte x-only authority public key from a config value (key string or file path). */
export function loadAuthorityPublicKey(value: string): Uint8Array {
  const { text, from } = keyText(value, 'authority public key');
  try {
    return decodeAuthorityPublicKey(text);
  } catch (err) {
    throw new Error(`${(err as Error).message} (from ${from})`);
  }
}

/** Loads a 32-byte authority secret key from a config value (key string or file path). */
export function loadAuthoritySecretKey(value: string): Uint8Array {
  const { text, from } = keyText(value, 'authority secret key');
  try {
    return decodeAuthoritySecretKey(text);
  } catch (err) {
    // Never echo secret material: the message names only the source.
    throw new Error(`${(err as Error).message} (from ${from})`);
  }
}

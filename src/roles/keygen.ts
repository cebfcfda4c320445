// `strata keygen`: writes a new authority key pair (spec 4.7 strings) for a
// pool, JDS or TP to sign its Noise certificates with, and loads such keys
// from configs, which may hold either the string itself or a path to a file.
// `strata keygen --jd-token-secret <file>` writes the secret the job
// declarator server and the pool sign and check job declaration tokens with.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { TOKEN_SECRET_SIZE, parseTokenSecret } from '../channels/jd-token.js';
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

/**
 * Writes a fresh job declaration token secret: 32 random bytes as 64 hex
 * digits and a newline, mode 0600 (directories created). Refuses to replace
 * an existing file unless `force`: every token signed with it would die.
 */
export function writeTokenSecret(opts: { file: string; force: boolean }): string {
  const file = resolve(opts.file);
  if (!opts.force && existsSync(file)) throw new Error(`${file} already exists (use --force to overwrite)`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, randomBytes(TOKEN_SECRET_SIZE).toString('hex') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Reads a token secret file (64 hex digits); the error names the file, never its content. */
export function loadTokenSecret(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `token_secret_file: cannot read ${file} (${(err as Error).message}); create it with ` +
        `strata keygen --jd-token-secret ${file}`,
    );
  }
  try {
    return parseTokenSecret(text);
  } catch (err) {
    throw new Error(`token_secret_file ${file}: ${(err as Error).message}`);
  }
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description(
      'write a new authority key pair: NAME.pub (public key) and NAME.key (secret key, mode 0600); ' +
        'with --jd-token-secret, a job declaration token secret instead',
    )
    .option('--out-dir <dir>', 'directory to write the key files into', '.')
    .option('--name <name>', 'base name of the key files', 'authority')
    .option(
      '--jd-token-secret <file>',
      'write only a job declaration token secret (32 random bytes as hex, mode 0600) to <file>',
    )
    .option('--force', 'overwrite existing key files', false)
    .action((o: { outDir: string; name: string; force: boolean; jdTokenSecret?: string }) => {
      if (o.jdTokenSecret !== undefined) {
        const file = writeTokenSecret({ file: o.jdTokenSecret, force: o.force });
        process.stderr.write(`wrote ${file}\n`);
        return;
      }
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  loadAuthorityPublicKey,
  loadAuthoritySecretKey,
  registerKeygen,
  writeAuthorityKeyPair,
} from '../../src/roles/keygen.js';
import { authorityPublicKeyOf } from '../../src/noise/index.js';

test('keygen writes a matching pair, secret mode 0600, refuses to overwrite without --force', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-keygen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = writeAuthorityKeyPair({ outDir: dir, name: 'pool', force: false });
  assert.equal(readFileSync(r.publicPath, 'utf8').trim(), r.publicKey);
  assert.equal(statSync(r.secretPath).mode & 0o777, 0o600);
  const secret = loadAuthoritySecretKey(r.secretPath);
  assert.deepEqual(authorityPublicKeyOf(secret), loadAuthorityPublicKey(r.publicPath));
  assert.deepEqual(loadAuthorityPublicKey(r.publicKey), loadAuthorityPublicKey(r.publicPath));
  assert.throws(() => writeAuthorityKeyPair({ outDir: dir, name: 'pool', force: false }), /already exists/);
  const again = writeAuthorityKeyPair({ outDir: dir, name: 'pool', force: true });
  assert.notEqual(again.publicKey, r.publicKey);
});

test('keygen command through commander prints the public key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-keygen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const program = new Command().exitOverride();
  registerKeygen(program);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'strata', 'keygen', '--out-dir', dir, '--name', 'jds']);
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  assert.equal(out.join('').trim(), readFileSync(join(dir, 'jds.pub'), 'utf8').trim());
});

test('loading keys: clear errors for bad strings and unreadable paths', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-keygen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.pub');
  writeFileSync(bad, 'not-a-key\n');
  assert.throws(() => loadAuthorityPublicKey(bad), /not base58 \(from .*bad\.pub\)/);
  assert.throws(() => loadAuthorityPublicKey(join(dir, 'missing.pub')), /neither a key nor a readable file/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './helpers/paths.js';

test('strata --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const out = execFileSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), pkg.version);
});

test('strata --help describes the program', () => {
  const out = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(out, /^Usage: strata/m);
  assert.match(out, /Stratum V2/);
});

test('an unknown sub-command fails with a non-zero exit and a hint', () => {
  assert.throws(
    () => execFileSync(process.execPath, [CLI, 'no-such-role'], { encoding: 'utf8', stdio: 'pipe' }),
    (err: { status?: number; stderr?: string }) => err.status !== 0 && /--help/.test(String(err.stderr)),
  );
});

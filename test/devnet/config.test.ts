// config/devnet.toml: every key documented, its values the defaults, and
// wrong values reported with file/flag and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { DEVNET_SCHEMA, loadDevnetConfig } from '../../src/roles/devnet/index.js';
import { tempDir } from './fixture.js';

const FILE = join(ROOT, 'config', 'devnet.toml');

test('config/devnet.toml sets every key, each after a comment, to its default', () => {
  const lines = readFileSync(FILE, 'utf8').split('\n');
  for (const key of Object.keys(DEVNET_SCHEMA)) {
    const at = lines.findIndex((l) => l.startsWith(`${key} =`));
    assert.ok(at > 0, `${key} is in the file`);
    assert.match(lines[at - 1] ?? '', /^#/, `${key} has a comment above it`);
  }
  const fromFile = loadDevnetConfig(FILE);
  const defaults = loadDevnetConfig(undefined);
  // The file's relative data_dir points at the same place as the default seen from the repository root.
  assert.deepEqual(
    { ...fromFile, data_dir: fromFile.data_dir },
    { ...defaults, data_dir: resolve(ROOT, 'data', 'devnet') },
  );
});

test('flags override the file; bad values name the file or the command line and the key', (t) => {
  const cfg = loadDevnetConfig(FILE, { rpc_port: 0, synthetic_tx_per_minute: 30, log_level: 'debug' });
  assert.equal(cfg.rpc_port, 0);
  assert.equal(cfg.synthetic_tx_per_minute, 30);
  assert.equal(cfg.log_level, 'debug');

  const dir = tempDir(t);
  const bad = join(dir, 'devnet.toml');
  writeFileSync(bad, 'rpc_port = 70000\nlongpoll_max_wait_secs = "soon"\nrpc_prot = 1\n');
  assert.throws(
    () => loadDevnetConfig(bad),
    (e: Error) => {
      assert.match(e.message, /rpc_port/);
      assert.match(e.message, /longpoll_max_wait_secs/);
      assert.match(e.message, /rpc_prot/);
      assert.ok(e.message.includes(bad));
      return true;
    },
  );
  assert.throws(
    () => loadDevnetConfig(undefined, { max_mempool_txs: 'many' }),
    /command line.*max_mempool_txs/,
  );
  writeFileSync(bad, 'longpoll_max_wait_secs = "500ms"\n');
  assert.equal(loadDevnetConfig(bad).longpoll_max_wait_secs, 0.5);
});

// Connection setup rules of `strata tp`: wrong protocol or version gets
// SetupConnection.Error, a client that skips SetupConnection is closed, a
// node on the wrong chain stops the TP at start with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connectFramed } from '../../src/net/index.js';
import { encodeFrame } from '../../src/messages/index.js';
import { loadAuthorityPublicKey } from '../../src/roles/keygen.js';
import { TdpClient } from '../../src/roles/common/tdp-client.js';
import {
  DEFAULT_CONSTRAINTS,
  connectClient,
  makeKeys,
  spawnTp,
  startDevnetAndTp,
  startDevnetWithKeys,
  startTp,
  tempDir,
  type Keys,
} from './fixture.js';

function refusedWith(port: number, keys: Keys, setup: Record<string, number>): Promise<string> {
  const client = new TdpClient({
    host: '127.0.0.1',
    port,
    security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
    constraints: DEFAULT_CONSTRAINTS,
    setup,
    reconnect: false,
  });
  const refused = new Promise<string>((resolve) => client.once('setup-error', (e) => resolve(e.error_code)));
  client.start();
  return refused.finally(() => client.close());
}

test('strata tp refuses bad SetupConnection and out-of-order clients, and keeps serving', async (t) => {
  const { keys, tp } = await startDevnetAndTp(t);

  assert.equal(await refusedWith(tp.port, keys, { protocol: 0 }), 'unsupported-protocol');
  assert.equal(
    await refusedWith(tp.port, keys, { protocol: 2, min_version: 3, max_version: 3 }),
    'protocol-version-mismatch',
  );
  await tp.proc.waitFor(
    (r) => r.msg === 'SetupConnection refused' && r.error_code === 'unsupported-protocol',
  );

  // CoinbaseOutputConstraints before SetupConnection: logged, connection closed.
  const conn = await connectFramed({
    host: '127.0.0.1',
    port: tp.port,
    security: { kind: 'noise', authorityPublicKey: loadAuthorityPublicKey(keys.publicPath) },
  });
  t.after(() => conn.close());
  await conn.send(encodeFrame({ type: 'CoinbaseOutputConstraints', ...DEFAULT_CONSTRAINTS }));
  assert.equal(await conn.receive(), undefined);
  await tp.proc.waitFor((r) => r.msg === 'expected SetupConnection first; closing');

  // A good client is still served.
  const rc = await connectClient(t, tp.port, keys);
  const tpl = await rc.nextTemplate();
  assert.equal((await rc.nextPrevHash()).template_id, tpl.template_id);
});

test('strata tp exits at start when the node is on another chain', async (t) => {
  const { devnet, keys } = await startDevnetWithKeys(t);
  const proc = spawnTp([
    '--listen',
    '127.0.0.1:0',
    '--rpc-url',
    devnet.url,
    '--rpc-cookie',
    devnet.cookie,
    '--authority-secret-key',
    keys.secretPath,
    '--network',
    'mainnet',
  ]);
  t.after(() => proc.kill());
  const [code] = proc.child.exitCode !== null ? [proc.child.exitCode] : await once(proc.child, 'exit');
  assert.equal(code, 1);
  const complaint = proc.lines.filter((l) => l.includes('chain'));
  assert.equal(complaint.length, 1, proc.lines.join('\n'));
  assert.match(complaint[0]!, /on chain "regtest".*configured network is mainnet/);
});

test('strata tp refuses an authority public key that does not match its secret key', async (t) => {
  const { devnet, keys } = await startDevnetWithKeys(t);
  const other = makeKeys(tempDir(t));
  await assert.rejects(startTp(devnet, { ...keys, publicPath: other.publicPath }), /does not belong/);
});

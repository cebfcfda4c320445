// The pool's connection limits ([limits] in config/pool.toml): per address
// and in total, counted from accept, refused before any Noise work, logged,
// and released when a connection ends. With `--workers 2` the primary counts
// for the whole pool: the two connections of one address below go to
// different workers and the third is still refused.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { MiningClient, startPool, startStack } from './fixture.js';

/** A raw TCP connection from `source`; resolves once connected, with a flag set when it closes. */
function rawConnect(port: number, source: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: source });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

async function limits(t: TestContext, workers: number): Promise<void> {
  const s = await startStack(t);
  const config = join(s.dir, 'limits.toml');
  writeFileSync(config, `workers = ${workers}\n[limits]\nmax_connections = 3\nmax_connections_per_ip = 2\n`);
  const pool = await startPool(t, s, ['-c', config]);

  const a = await MiningClient.connect(t, pool.port, s.poolKeys);
  await MiningClient.connect(t, pool.port, s.poolKeys);
  const third = await rawConnect(pool.port, '127.0.0.1');
  t.after(() => third.socket.destroy());
  await third.closed;
  const perIp = await pool.proc.waitFor((r) => r.msg === 'connection refused');
  assert.equal(perIp.reason, 'too many connections from this address');

  // Another address gets the last place; a fourth connection finds none.
  const other = await rawConnect(pool.port, '127.0.0.2');
  t.after(() => other.socket.destroy());
  const fourth = await rawConnect(pool.port, '127.0.0.3');
  t.after(() => fourth.socket.destroy());
  await fourth.closed;
  await pool.proc.waitFor((r) => r.msg === 'connection refused' && r.reason === 'too many connections');
  let otherClosed = false;
  void other.closed.then(() => (otherClosed = true));

  // A connection that ends gives its place back.
  a.close();
  // Its place is free once the pool has seen it close: retried, bounded.
  const again = await retry(() => MiningClient.connect(t, pool.port, s.poolKeys));
  again.close();
  assert.equal(otherClosed, false, 'the admitted connection from another address is still open');
}

test('connection limits: a third connection from one address and a fourth in total are refused before the handshake; a closed one frees its place', async (t) => {
  await limits(t, 1);
});

test('connection limits with two pool workers: the primary counts for the whole pool', async (t) => {
  await limits(t, 2);
});

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

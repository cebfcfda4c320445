// Hostile input over TCP: 10,000 seeded malformed lines (bad JSON, huge
// numbers, wrong types, invalid UTF-8, deep nesting, a 1 MiB line, submits
// before subscribe) over many connections never crash the translator nor
// disturb a well-behaved miner mining at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPoolAndTranslator, eventually } from './fixture.js';
import { V1Client } from './v1-client.js';
import { Rng } from '../messages/random-values.js';

const TOTAL_LINES = 10_000;
const WORKERS = 8;
const BATCH = 50;

/** Seeded PRNG (mulberry32): the same lines on every run. */
function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.u32() / 0x100000000;
}

function hostileLine(rnd: () => number): string | Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = Math.floor(rnd() * 1e9);
  switch (Math.floor(rnd() * 12)) {
    case 0:
      return '{"id":' + n + ',"method":"mining.subscribe"'.slice(0, Math.floor(rnd() * 30));
    case 1:
      return `{"id":1e400,"method":"mining.suggest_difficulty","params":[${pick(['1e400', '-1', '0', '1e-400', '"NaN"', 'null'])}]}`;
    case 2:
      return JSON.stringify({
        id: pick([{}, [], true, 'x', n]),
        method: pick([42, null, [], 'mining.nope']),
        params: 'x',
      });
    case 3:
      return JSON.stringify({
        id: n,
        method: 'mining.submit',
        params: pick([
          ['w', '1', '00', '00', '00'],
          [1, 2, 3, 4, 5],
          ['w', 'ffff', 'zz'.repeat(4), 'ffffffffff', '-1', 'g'],
          [],
          ['w', '00001', '0000000000000000', '66000000', '1', '1fffffff'],
        ]),
      });
    case 4:
      return JSON.stringify({
        id: n,
        method: 'mining.configure',
        params: pick([
          [['version-rolling'], { 'version-rolling.mask': 'zzzz' }],
          ['x'],
          [[1, 2], 3],
          [Array(40).fill('a')],
        ]),
      });
    case 5:
      return '['.repeat(1000 + Math.floor(rnd() * 3000));
    case 6:
      return Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0xc3, 0x28, 0x7d]);
    case 7:
      return JSON.stringify({
        id: n,
        method: 'mining.authorize',
        params: pick([[null], ['a'.repeat(5000)], [{}, {}], ['', '']]),
      });
    case 8:
      return JSON.stringify({
        id: n,
        method: 'mining.subscribe',
        params: ['agent', 'f'.repeat(pick([8, 65, 500]))],
      });
    case 9:
      return JSON.stringify({
        id: n,
        method: 'mining.suggest_target',
        params: [pick(['', 'zz', '0', 'f'.repeat(65)])],
      });
    case 10:
      return JSON.stringify({
        id: Number.MAX_SAFE_INTEGER * 4,
        method: 'mining.extranonce.subscribe',
        params: null,
      });
    default:
      return String(n);
  }
}

test(
  '10,000 hostile lines over TCP: no crash, a good miner keeps mining',
  { timeout: 120_000 },
  async (t) => {
    const { pool, tr } = await startPoolAndTranslator(t);
    const good = await V1Client.connect(tr.port);
    t.after(() => good.close());
    await good.handshake('acct.good', { password: 'x,d=1e-8', rolling: true });

    let sent = 0;
    let connections = 0;
    let hugeSent = false;
    const worker = async (seed: number): Promise<void> => {
      const rnd = prng(seed);
      while (sent < TOTAL_LINES) {
        const c = await V1Client.connect(tr.port);
        connections++;
        try {
          const parts: (string | Buffer)[] = [];
          if (!hugeSent) {
            hugeSent = true;
            parts.push('{"id":1,"method":"' + 'x'.repeat(1 << 20) + '"}');
          }
          for (let i = 0; i < BATCH && sent < TOTAL_LINES; i++, sent++) parts.push(hostileLine(rnd));
          for (const p of parts) {
            c.socket.write(p);
            c.socket.write('\n');
          }
          // Wait for the translator to answer or hang up before the next batch.
          await Promise.race([
            c.until(() => c.closed || c.lines.length > 0),
            new Promise((r) => setTimeout(r, 200)),
          ]);
        } finally {
          c.close();
        }
      }
    };
    const goodLoop = async (): Promise<number> => {
      let accepted = 0;
      while (sent < TOTAL_LINES) {
        const reply = await good.mineAndSubmit('acct.good');
        assert.equal(reply.result, true, JSON.stringify(reply));
        accepted++;
      }
      return accepted;
    };
    const [accepted] = await Promise.all([
      goodLoop(),
      ...Array.from({ length: WORKERS }, (_, i) => worker(1000 + i)),
    ]);
    assert.equal(sent, TOTAL_LINES);
    assert.ok(accepted >= 1);
    assert.ok(connections >= TOTAL_LINES / BATCH);

    // New work still reaches the good miner, and its shares still reach the pool.
    const before = good.notifies.length;
    pool.newBlock();
    await good.until(() => good.notifies.length > before && good.notify!.clean);
    assert.equal((await good.mineAndSubmit('acct.good')).result, true);
    assert.equal(good.closed, false);
    await pool.until(() => pool.shares.length >= accepted + 1);
    assert.ok(pool.shares.every((s) => s.ok));

    // Every hostile connection is accounted for and released.
    await eventually(() => tr.translator.miners.size === 1, 'hostile connections released');
    assert.equal(tr.translator.metrics.connectionsOpen, 1);
    assert.ok((tr.translator.metrics.closed.get('line too long') ?? 0) >= 1, 'the 1 MiB line was cut off');
    assert.ok((tr.translator.metrics.closed.get('Invalid JSON') ?? 0) >= 1);
  },
);

// The pure pieces: IP allow-list matching, connection admission, the submit
// token bucket, extranonce slots, a channel's coinbase split, and the
// shipped config file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSchema } from '../../src/config/index.js';
import { ConnectionGuard, ipMatcher, takeToken } from '../../src/net/guard.js';
import { SlotAllocator, minerExtranonce, slotOf } from '../../src/roles/translator/slots.js';
import { UpstreamChannel } from '../../src/roles/translator/channel.js';
import type { UpstreamShare } from '../../src/sv1/index.js';
import { TRANSLATOR_SCHEMA, loadTranslatorConfig } from '../../src/roles/translator/config.js';
import { ROOT } from '../helpers/paths.js';

test('ipMatcher: exact addresses, IPv4 ranges, IPv4-mapped IPv6', () => {
  const allowed = ipMatcher(['203.0.113.7', '10.0.0.0/8', '::1']);
  assert.equal(allowed('203.0.113.7'), true);
  assert.equal(allowed('::ffff:203.0.113.7'), true);
  assert.equal(allowed('10.255.1.2'), true);
  assert.equal(allowed('11.0.0.1'), false);
  assert.equal(allowed('::1'), true);
  assert.throws(() => ipMatcher(['10.0.0.0/33']));
});

test('ConnectionGuard: per-IP and total limits, released slots are reusable', () => {
  const g = new ConnectionGuard({ maxConnections: 3, maxPerIp: 1, allowed: ipMatcher(['1.1.1.1']) });
  assert.equal(g.admit('2.2.2.2').ok, true);
  assert.deepEqual(g.admit('2.2.2.2'), { ok: false, reason: 'too many connections from this address' });
  assert.equal(g.admit('1.1.1.1').ok, true);
  assert.equal(g.admit('1.1.1.1').ok, true);
  assert.deepEqual(g.admit('3.3.3.3'), { ok: false, reason: 'too many connections' });
  g.release('2.2.2.2');
  assert.equal(g.admit('3.3.3.3').ok, true);
  assert.equal(g.open, 3);
});

test('takeToken: burst, then the rate', () => {
  const b = { tokens: 4, tokensAt: 0 };
  const take = (now: number) => takeToken(b, 2, 4, now);
  let taken = 0;
  for (let i = 0; i < 10; i++) if (take(0)) taken++;
  assert.equal(taken, 4);
  assert.equal(take(400), false);
  assert.equal(take(500), true);
  // A clock that goes back adds nothing.
  assert.equal(take(100), false);
  // Idle for a long while: never more than the burst.
  for (taken = 0; take(60_000);) taken++;
  assert.equal(taken, 4);
});

test("slots: round robin, claim, release; a 4-byte extranonce1 of the translator's own", () => {
  const s = new SlotAllocator();
  assert.equal(s.take(), 0);
  assert.equal(s.take(), 1);
  s.release(0);
  assert.equal(s.take(), 2, 'a freed slot is not reused at once');
  assert.equal(s.claim(7), true);
  assert.equal(s.claim(7), false);
  const en = minerExtranonce(0x0102, 8);
  assert.equal(Buffer.from(en.extranonce1).toString('hex'), '00000102');
  assert.equal(en.extranonce2_size, 8);
  assert.equal(en.upstream_prefix_length, 0);
  assert.equal(slotOf(en.extranonce1), 0x0102);
  assert.equal(slotOf(Uint8Array.of(0xaa, 0xbb, 1, 2)), undefined, 'not one of ours');
});

test("channel: the pool's prefix and the padding go in coinb1; shares go out behind the padding", () => {
  const sent: { job_id: number; extranonce: string }[] = [];
  const sink = {
    submit: (_c: UpstreamChannel, job_id: number, share: UpstreamShare) => {
      sent.push({ job_id, extranonce: Buffer.from(share.extranonce).toString('hex') });
      return Promise.resolve({ accepted: true as const, confirmed: true });
    },
    closeChannel: () => {},
  };
  const channel = new UpstreamChannel(
    {
      channel_id: 1,
      target: new Uint8Array(32).fill(0xff),
      extranonce_size: 16,
      extranonce_prefix: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd),
      group_channel_id: 0,
    },
    false,
    { extranonce1: 4, extranonce2: 8 },
    sink,
  );
  assert.equal(channel.extranonce2Size, 8);
  const job = {
    type: 'NewExtendedMiningJob' as const,
    channel_id: 1,
    job_id: 42,
    min_ntime: null,
    version: 0x20000000,
    version_rolling_allowed: true,
    merkle_path: [],
    coinbase_tx_prefix: Uint8Array.of(1, 2, 3),
    coinbase_tx_suffix: Uint8Array.of(9, 9),
  };
  channel.onJob(job, 0);
  const current = channel.onPrevHash(
    {
      type: 'SetNewPrevHash',
      channel_id: 1,
      job_id: 42,
      prev_hash: new Uint8Array(32),
      min_ntime: 100,
      nbits: 0x207fffff,
    },
    0,
  )!;
  // 16 rollable bytes granted, 4 + 8 used by the miner: 4 zero bytes of padding after the prefix.
  assert.equal(Buffer.from(current.coinbase_tx_prefix).toString('hex'), '010203aabbccdd00000000');
  assert.equal(UpstreamChannel.ofJob(current.job_id), channel);
  const share = { job_id: current.job_id, extranonce: Uint8Array.of(0, 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1) };
  assert.notEqual(channel.forward(share as unknown as UpstreamShare), undefined);
  assert.deepEqual(sent, [{ job_id: 42, extranonce: '00000000000001020101010101010101' }]);

  // A new prefix remakes coinb1; the old key's jobs are stale from then on.
  const rekeyed = channel.onPrefix(Uint8Array.of(1, 1, 1, 1), 0)!;
  assert.equal(Buffer.from(rekeyed.coinbase_tx_prefix).toString('hex'), '0102030101010100000000');
  assert.equal(UpstreamChannel.ofJob(current.job_id), undefined);
  assert.equal(channel.forward(share as unknown as UpstreamShare), undefined);
  // The template behind a job is named alike whatever the channel's prefix; other coinbase parts name another.
  assert.equal(rekeyed.work, current.work);
  assert.match(current.work!, /^[0-9a-f]{64}$/);
  channel.onJob({ ...job, job_id: 43, coinbase_tx_suffix: Uint8Array.of(9, 8) }, 0);
  const other = channel.onPrevHash(
    {
      type: 'SetNewPrevHash',
      channel_id: 1,
      job_id: 43,
      prev_hash: new Uint8Array(32),
      min_ntime: 100,
      nbits: 0x207fffff,
    },
    0,
  )!;
  assert.notEqual(other.work, current.work);
  channel.close();
  assert.equal(UpstreamChannel.ofJob(rekeyed.job_id), undefined);

  const small = new UpstreamChannel(
    {
      ...{
        channel_id: 2,
        target: new Uint8Array(32),
        extranonce_prefix: new Uint8Array(4),
        group_channel_id: 0,
      },
      extranonce_size: 5,
    },
    false,
    { extranonce1: 4, extranonce2: 8 },
  );
  assert.equal(small.usable, false, 'one byte left for extranonce2 is too little');
});

test('config/translator.toml loads and documents every key', () => {
  const file = join(ROOT, 'config', 'translator.toml');
  const cfg = loadTranslatorConfig(file);
  assert.equal(cfg.downstream_port, 34255);
  assert.equal(cfg.upstreams.length, 1);
  const text = readFileSync(file, 'utf8');
  for (const k of describeSchema(TRANSLATOR_SCHEMA)) {
    const name = k.key.split('.').at(-1)!.replace(/\[\]$/, '');
    assert.ok(text.includes(name), `${k.key} is not in config/translator.toml`);
  }
});

// The pure pieces: IP allow-list matching, connection admission, the submit
// token bucket, extranonce slots, and the shipped config file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSchema } from '../../src/config/index.js';
import { ConnectionGuard, TokenBucket, ipMatcher } from '../../src/roles/translator/guard.js';
import { SlotAllocator, minerExtranonce, slotOf } from '../../src/roles/translator/slots.js';
import { UpstreamChannel } from '../../src/roles/translator/channel.js';
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

test('TokenBucket: burst, then the rate', () => {
  const b = new TokenBucket(2, 4, 0);
  let taken = 0;
  for (let i = 0; i < 10; i++) if (b.take(0)) taken++;
  assert.equal(taken, 4);
  assert.equal(b.take(400), false);
  assert.equal(b.take(500), true);
});

test('slots: round robin, claim, release; extranonce layout and padding', () => {
  const s = new SlotAllocator();
  assert.equal(s.take(), 0);
  assert.equal(s.take(), 1);
  s.release(0);
  assert.equal(s.take(), 2, 'a freed slot is not reused at once');
  assert.equal(s.claim(7), true);
  assert.equal(s.claim(7), false);
  const channel = new UpstreamChannel(
    {
      channel_id: 1,
      target: new Uint8Array(32).fill(0xff),
      extranonce_size: 16,
      extranonce_prefix: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd),
      group_channel_id: 0,
    },
    false,
  );
  const en = minerExtranonce(channel, 8, 0x0102)!;
  // 16 rollable bytes granted, 2 + 8 used: 6 zero bytes of padding before the index.
  assert.equal(Buffer.from(en.extranonce1).toString('hex'), 'aabbccdd0000000000000102');
  assert.equal(en.extranonce2_size, 8);
  assert.equal(en.upstream_prefix_length, 4);
  assert.equal(slotOf(en.extranonce1), 0x0102);
  const own = minerExtranonce(channel, 8)!;
  assert.equal(own.extranonce1.length, 4 + 8);
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  array,
  boolean,
  closest,
  describeSchema,
  integer,
  loadConfig,
  network,
  number,
  oneOf,
  parseDuration,
  parseSocketAddress,
  path,
  seconds,
  socketAddress,
  string,
  table,
  tables,
  url,
  type ConfigOf,
  type SocketAddress,
} from '../../src/config/index.js';

const schema = {
  listen_address: socketAddress({ default: '0.0.0.0:34254', doc: 'where miners connect' }),
  network: network({ default: 'regtest' }),
  coinbase_reward_script: string({ required: true, doc: 'script the block reward pays to' }),
  shares_per_minute: number({ default: 6, min: 0.1 }),
  log_file: path({ doc: 'JSON log file' }),
  template_interval: seconds({ default: 30 }),
  debug: boolean({ default: false }),
  tags: array(string(), { default: [] }),
  mode: oneOf(['solo', 'pool'], { default: 'pool' }),
  rpc: table({
    url: url({ default: 'http://127.0.0.1:18443' }),
    cookie_file: path(),
    timeout: seconds({ default: '30s' }),
  }),
  web: table({ listen_address: socketAddress({ required: true }) }, { optional: true }),
  upstreams: tables({
    address: string({ required: true }),
    port: integer({ min: 1, max: 65535, required: true }),
    authority_pubkey: string(),
  }),
};

// Compile-time check of the inferred config type.
type Cfg = ConfigOf<typeof schema>;
const _typeCheck = (
  c: Cfg,
): [SocketAddress, string, string | undefined, number, 'solo' | 'pool', string[]] => [
  c.listen_address,
  c.coinbase_reward_script,
  c.log_file,
  c.upstreams[0]?.port ?? 0,
  c.mode,
  c.tags,
];
void _typeCheck;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function write(dir: string, text: string, name = 'pool.toml'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

const MINIMAL = 'coinbase_reward_script = "0014aa"\n';

test('a valid file gives typed values, with defaults and resolved paths', (t) => {
  const dir = tempDir(t);
  const file = write(
    dir,
    `
listen_address = "127.0.0.1:3333"
network = "testnet4"
coinbase_reward_script = "0014aa"
log_file = "logs/pool.log"
template_interval = "5m"
tags = ["a", "b"]
mode = "solo"

[rpc]
cookie_file = "/var/lib/bitcoind/.cookie"

[web]
listen_address = "[::1]:8080"

[[upstreams]]
address = "pool-a.example"
port = 34254

[[upstreams]]
address = "pool-b.example"
port = 34255
authority_pubkey = "9auq"
`,
  );
  const c = loadConfig(schema, file);
  assert.deepEqual(c.listen_address, { host: '127.0.0.1', port: 3333 });
  assert.equal(c.network, 'testnet4');
  assert.equal(c.log_file, join(dir, 'logs', 'pool.log'));
  assert.equal(c.template_interval, 300);
  assert.deepEqual(c.tags, ['a', 'b']);
  assert.equal(c.mode, 'solo');
  assert.equal(c.shares_per_minute, 6);
  assert.equal(c.debug, false);
  assert.deepEqual(c.rpc, {
    url: 'http://127.0.0.1:18443',
    cookie_file: '/var/lib/bitcoind/.cookie',
    timeout: 30,
  });
  assert.deepEqual(c.web, { listen_address: { host: '::1', port: 8080 } });
  assert.equal(c.upstreams.length, 2);
  assert.deepEqual(c.upstreams[1], { address: 'pool-b.example', port: 34255, authority_pubkey: '9auq' });
  assert.equal(c.upstreams[0]?.authority_pubkey, undefined);
});

test('defaults fill a minimal file; optional tables and arrays of tables may be absent', (t) => {
  const c = loadConfig(schema, write(tempDir(t), MINIMAL));
  assert.deepEqual(c.listen_address, { host: '0.0.0.0', port: 34254 });
  assert.equal(c.network, 'regtest');
  assert.equal(c.template_interval, 30);
  assert.equal(c.log_file, undefined);
  assert.equal(c.web, undefined);
  assert.deepEqual(c.upstreams, []);
  assert.deepEqual(c.rpc, { url: 'http://127.0.0.1:18443', cookie_file: undefined, timeout: 30 });
});

test('a wrong type names the file, the key and what was expected', (t) => {
  const file = write(tempDir(t), MINIMAL + 'listen_address = 3333\n');
  const e = errorOf(() => loadConfig(schema, file));
  assert.equal(e.message, `${file}: key \`listen_address\`: expected "host:port", got 3333`);
  assert.deepEqual(e.issues, [
    { source: file, key: 'listen_address', problem: 'expected "host:port", got 3333' },
  ]);

  const f2 = write(tempDir(t), MINIMAL + 'shares_per_minute = "fast"\ndebug = "yes"\n');
  const e2 = errorOf(() => loadConfig(schema, f2));
  assert.deepEqual(e2.message.split('\n'), [
    `${f2}: key \`shares_per_minute\`: expected a number of at least 0.1, got "fast"`,
    `${f2}: key \`debug\`: expected true or false, got "yes"`,
  ]);
});

test('bad host:port strings are rejected', (t) => {
  const dir = tempDir(t);
  for (const bad of ['localhost', '127.0.0.1:', ':3333', '127.0.0.1:65536', 'a b:1', '::1:3333']) {
    const file = write(dir, MINIMAL + `listen_address = ${JSON.stringify(bad)}\n`);
    const e = errorOf(() => loadConfig(schema, file));
    assert.equal(
      e.message,
      `${file}: key \`listen_address\`: expected "host:port", got ${JSON.stringify(bad)}`,
    );
  }
});

test('an unknown network lists the valid ones', (t) => {
  const file = write(tempDir(t), MINIMAL + 'network = "testnet"\n');
  const e = errorOf(() => loadConfig(schema, file));
  assert.equal(
    e.message,
    `${file}: key \`network\`: expected a network: "mainnet", "testnet4", "testnet3", "signet", "regtest", "devnet", got "testnet"`,
  );
});

test('a missing required key is named with its description', (t) => {
  const file = write(tempDir(t), 'network = "regtest"\n');
  const e = errorOf(() => loadConfig(schema, file));
  assert.equal(
    e.message,
    `${file}: key \`coinbase_reward_script\`: is required but missing (script the block reward pays to)`,
  );
});

test('unknown keys are reported with the closest known name', (t) => {
  const file = write(tempDir(t), MINIMAL + 'listen_adress = "0.0.0.0:1"\n[rpc]\ntimeout_secs = 3\nzzz = 1\n');
  const e = errorOf(() => loadConfig(schema, file));
  assert.deepEqual(e.message.split('\n'), [
    `${file}: key \`listen_adress\`: unknown key — did you mean \`listen_address\`?`,
    `${file}: key \`rpc.timeout_secs\`: unknown key — did you mean \`timeout\`?`,
    `${file}: key \`rpc.zzz\`: unknown key (known keys here: url, cookie_file, timeout)`,
  ]);
});

test('nested tables and arrays of tables give full key paths', (t) => {
  const file = write(
    tempDir(t),
    MINIMAL +
      '[rpc]\ntimeout = "soon"\n[web]\n[[upstreams]]\naddress = "a"\nport = 1\n[[upstreams]]\naddress = "b"\nport = 70000\n[[upstreams]]\nport = 2\n',
  );
  const e = errorOf(() => loadConfig(schema, file));
  assert.deepEqual(
    e.issues.map((i) => i.key),
    ['rpc.timeout', 'web.listen_address', 'upstreams[1].port', 'upstreams[2].address'],
  );
  assert.match(e.message, /key `upstreams\[1\]\.port`: expected an integer between 1 and 65535, got 70000/);
  assert.match(e.message, /key `rpc\.timeout`: expected a duration in seconds .*, got "soon"/);

  const f2 = write(tempDir(t), MINIMAL + 'tags = ["a", 3]\nupstreams = 5\n');
  const e2 = errorOf(() => loadConfig(schema, f2));
  assert.deepEqual(
    e2.issues.map((i) => [i.key, i.problem]),
    [
      ['tags[1]', 'expected a string, got 3'],
      ['upstreams', 'expected an array of tables, got 5'],
    ],
  );
});

test('overrides from the command line win over the file and are checked the same way', (t) => {
  const dir = tempDir(t);
  const file = write(dir, MINIMAL + 'debug = true\n[[upstreams]]\naddress = "a"\nport = 1\n');
  const c = loadConfig(schema, file, {
    listen_address: '127.0.0.1:0',
    'rpc.timeout': 5,
    'upstreams[0].port': 4000,
    log_file: 'here.log',
    debug: undefined, // a flag that was not given
  });
  assert.deepEqual(c.listen_address, { host: '127.0.0.1', port: 0 });
  assert.equal(c.rpc.timeout, 5);
  assert.equal(c.upstreams[0]?.port, 4000);
  assert.equal(c.debug, true);
  // Relative paths typed on the command line are relative to the working directory.
  assert.equal(c.log_file, resolve('here.log'));

  const e = errorOf(() =>
    loadConfig(schema, file, {
      network: 'bitcoin',
      'rpc.tmeout': 1,
      'upstreams[3].port': 1,
      listen_adress: 'x',
    }),
  );
  assert.deepEqual(e.message.split('\n'), [
    'command line: key `rpc.tmeout`: unknown key — did you mean `timeout`?',
    'command line: key `upstreams[3].port`: `upstreams` has 1 entry; pick one with `upstreams[i]`',
    'command line: key `listen_adress`: unknown key — did you mean `listen_address`?',
    'command line: key `network`: expected a network: "mainnet", "testnet4", "testnet3", "signet", "regtest", "devnet", got "bitcoin"',
  ]);
});

test('no file: defaults plus overrides', () => {
  const c = loadConfig(schema, undefined, { coinbase_reward_script: '51' });
  assert.equal(c.coinbase_reward_script, '51');
  const e = errorOf(() => loadConfig(schema, undefined));
  assert.match(e.message, /^configuration: key `coinbase_reward_script`: is required but missing/);
});

test('invalid TOML and unreadable files are one clear line', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'a = 1\nb = [1,\n');
  const e = errorOf(() => loadConfig(schema, file));
  assert.match(e.message, new RegExp(`^${file.replace(/[.\\]/g, '\\$&')}:\\d+:\\d+: invalid TOML: `));
  assert.equal(e.message.split('\n').length, 1);

  const missing = join(dir, 'nope.toml');
  assert.equal(
    errorOf(() => loadConfig(schema, missing)).message,
    `${missing}: cannot read the config file: no such file`,
  );
});

test('value helpers: closest key, socket addresses, durations', () => {
  assert.equal(closest('listen_adress', ['network', 'listen_address']), 'listen_address');
  assert.equal(closest('completely_else', ['network', 'listen_address']), undefined);
  assert.deepEqual(parseSocketAddress('[2001:db8::1]:8333'), { host: '2001:db8::1', port: 8333 });
  assert.deepEqual(parseSocketAddress('node.local:18443'), { host: 'node.local', port: 18443 });
  assert.equal(parseSocketAddress('[::1]'), undefined);
  assert.equal(parseDuration('250ms'), 0.25);
  assert.equal(parseDuration('2h'), 7200);
  assert.equal(parseDuration(1.5), 1.5);
  assert.equal(parseDuration(-1), undefined);
  assert.equal(parseDuration('5 parsecs'), undefined);
});

test('describeSchema lists every key with its default and doc', () => {
  const docs = describeSchema(schema);
  const byKey = new Map(docs.map((d) => [d.key, d]));
  assert.deepEqual(byKey.get('listen_address'), {
    key: 'listen_address',
    expected: '"host:port"',
    required: false,
    default: '0.0.0.0:34254',
    doc: 'where miners connect',
  });
  assert.equal(byKey.get('rpc.timeout')?.default, '30s');
  assert.equal(byKey.get('upstreams[].port')?.required, true);
  assert.equal(byKey.get('coinbase_reward_script')?.required, true);
  assert.equal(docs.length, 16);
});

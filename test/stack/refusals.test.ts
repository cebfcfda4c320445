// start-pool.sh refuses to start, with a one-line reason and a non-zero exit,
// when a port is taken, a config is wrong, Node is not a supported release or a role dies at
// start — and in that last case stops what it had already started.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import {
  freePorts,
  portAnswers,
  quickEnv,
  runStartPool,
  stackToml,
  tomlString,
  type ScriptResult,
} from './stack-helpers.js';

/** A stack.toml in a fresh directory: loopback, random ports, data and logs inside it. */
async function sandbox(t: TestContext, edits: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'strata-stack-'));
  const [devnet, tp, pool, web, translator, jds, jdcTp, jdc] = await freePorts(8);
  const file = join(dir, 'stack.toml');
  const cfg = (name: string) => tomlString(join(ROOT, 'config', name));
  writeFileSync(
    file,
    stackToml({
      bind_address: '"127.0.0.1"',
      data_dir: tomlString(join(dir, 'data')),
      logs_dir: tomlString(join(dir, 'logs')),
      stop_grace_secs: '5',
      'devnet.config': cfg('devnet.toml'),
      'devnet.rpc_port': String(devnet),
      'tp.config': cfg('tp.toml'),
      'tp.port': String(tp),
      'pool.config': cfg('pool.toml'),
      'pool.port': String(pool),
      'pool.web_port': String(web),
      'translator.config': cfg('translator.toml'),
      'translator.port': String(translator),
      'jds.config': cfg('jds.toml'),
      'jds.port': String(jds),
      'jdc_tp.config': cfg('tp.toml'),
      'jdc_tp.port': String(jdcTp),
      'jdc.config': cfg('jdc.toml'),
      'jdc.port': String(jdc),
      ...edits,
    }),
  );
  t.after(async () => {
    // Whatever happened, nothing this sandbox started outlives the test.
    await runStartPool(ROOT, ['stop', '-c', file], quickEnv(true), 60_000);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file, ports: { devnet: devnet!, tp: tp!, pool: pool!, web: web!, translator: translator! } };
}

/** The script's complaint: exactly one line on stderr besides warnings (Node.js 20 gets one). */
function reason(r: ScriptResult): string {
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('start-pool.sh: warning: '));
  assert.equal(lines.length, 1, `expected a one-line reason, got:\n${r.stderr}`);
  return lines[0]!;
}

function noPidFiles(dir: string): void {
  const run = join(dir, 'data', 'run');
  const left = existsSync(run) ? readdirSync(run).filter((f) => f.endsWith('.pid')) : [];
  assert.deepEqual(left, [], 'PID files left behind');
}

test('a taken port is refused before anything starts', async (t) => {
  const { dir, file, ports } = await sandbox(t);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(ports.pool, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));

  const r = await runStartPool(ROOT, ['-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  const line = reason(r);
  assert.match(
    line,
    new RegExp(`^start-pool\\.sh: port ${ports.pool} \\(pool\\) on 127\\.0\\.0\\.1 is already in use`),
  );
  assert.match(line, /change the port/);
  assert.doesNotMatch(r.stdout, / up \(pid/);
  noPidFiles(dir);
  assert.equal(await portAnswers(ports.devnet), false, 'devnet must not have been started');
});

test('an invalid stack.toml names the file and the key', async (t) => {
  const { file } = await sandbox(t, { 'tp.port': '"eighty"' });
  const r = await runStartPool(ROOT, ['-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  const line = reason(r);
  assert.ok(line.includes(file), line);
  assert.match(line, /key `tp\.port`: expected an integer between 1 and 65535, got "eighty"/);
});

test('an unknown key in stack.toml is reported with the nearest known one', async (t) => {
  const { file } = await sandbox(t);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^logs_dir =/m, 'log_dir ='));
  const r = await runStartPool(ROOT, ['-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  assert.match(reason(r), /key `log_dir`: unknown key — did you mean `logs_dir`\?/);
});

test("a role's own invalid config is refused by the role's config check", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pooltoml-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const poolToml = join(dir, 'pool.toml');
  copyFileSync(join(ROOT, 'config', 'pool.toml'), poolToml);
  const text = readFileSync(poolToml, 'utf8');
  assert.match(text, /^shares_per_minute = /m);
  writeFileSync(poolToml, text.replace(/^shares_per_minute = .*$/m, 'shares_per_minute = "six"'));
  const { file } = await sandbox(t, { 'pool.config': tomlString(poolToml) });

  const r = await runStartPool(ROOT, ['-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  const line = reason(r);
  assert.ok(line.startsWith(`${poolToml}: key \`shares_per_minute\`: expected a number`), line);
});

test('a role that exits at start is reported with its error line and the rest is stopped', async (t) => {
  const { dir, file, ports } = await sandbox(t, { 'pool.coinbase_reward_script': '"not-an-address"' });
  const r = await runStartPool(ROOT, ['-c', file], quickEnv(true));
  assert.notEqual(r.code, 0, r.stdout);
  const first = r.stderr.split('\n').find((l) => !l.startsWith('start-pool.sh: warning: '))!;
  assert.match(first, /^start-pool\.sh: pool exited at start: .*not-an-address/);
  assert.match(r.stdout, /devnet up \(pid/);
  assert.match(r.stdout, /tp up \(pid/);
  assert.match(r.stdout, /stopped tp/);
  assert.match(r.stdout, /stopped devnet/);
  noPidFiles(dir);
  for (const port of [ports.devnet, ports.tp, ports.pool]) {
    assert.equal(await portAnswers(port), false, `port ${port} still answers`);
  }
});

test('--with-jd without the pool in roles is refused before anything starts', async (t) => {
  const { dir, file, ports } = await sandbox(t, { roles: '["tp", "translator"]' });
  const r = await runStartPool(ROOT, ['--with-jd', '-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  const line = reason(r);
  assert.ok(line.startsWith(`${file}: key \`roles\`: --with-jd needs "pool" in roles`), line);
  assert.doesNotMatch(r.stdout, / up \(pid/);
  noPidFiles(dir);
  assert.equal(await portAnswers(ports.devnet), false, 'devnet must not have been started');
});

test('--with-jd off devnet without a payout address for the JDC names the key', async (t) => {
  // A Bitcoin Core in regtest (user and password, so no cookie file is looked for); nothing starts.
  const { dir, file } = await sandbox(t, {
    network: '"regtest"',
    'bitcoind.rpc_user': '"user"',
    'bitcoind.rpc_password': '"password"',
  });
  const r = await runStartPool(ROOT, ['--with-jd', '-c', file], quickEnv(true));
  assert.notEqual(r.code, 0);
  const line = reason(r);
  const jdcToml = join(ROOT, 'config', 'jdc.toml');
  assert.ok(line.startsWith(`${jdcToml}: key \`coinbase_reward_script\`: the JDC needs`), line);
  assert.match(line, /\[jdc\] coinbase_reward_script/);
  assert.doesNotMatch(r.stdout, / up \(pid/);
  noPidFiles(dir);
});

test('a Node.js outside the supported lines is refused; 20.19 passes with a warning, 22.13 without', async (t) => {
  const { dir, file, ports } = await sandbox(t);
  const bin = join(dir, 'bin');
  const fake = join(bin, 'node');
  mkdirSync(bin);
  // Answers the script's version question with `version`; every other use runs the real node.
  const runWith = (version: string) => {
    writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = -p ] && [ "$2" = process.versions.node ]; then echo ${version}; exit 0; fi\n` +
        `exec '${process.execPath}' "$@"\n`,
    );
    chmodSync(fake, 0o755);
    return runStartPool(ROOT, ['-c', file], { ...quickEnv(true), PATH: `${bin}:${process.env.PATH}` });
  };
  const supported =
    'Strata (?:needs|runs on) Node\\.js 20 \\(20\\.19 or newer\\), 22 \\(22\\.13 or newer\\), 24 or 26';
  const escaped = (v: string) => v.replace(/\./g, '\\.');
  for (const version of ['18.20.4', '20.18.3', '22.12.0']) {
    const r = await runWith(version);
    assert.notEqual(r.code, 0, version);
    assert.match(reason(r), new RegExp(`Node\\.js ${escaped(version)} is too old: ${supported}$`));
  }
  for (const version of ['21.7.3', '23.11.0', '25.9.0']) {
    const r = await runWith(version);
    assert.notEqual(r.code, 0, version);
    assert.match(
      reason(r),
      new RegExp(`Node\\.js ${escaped(version)} is not a supported release line: ${supported}$`),
    );
  }
  // Supported releases get past the check, to the next refusal: a taken port.
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(ports.pool, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));
  const taken = new RegExp(`port ${ports.pool} \\(pool\\) on 127\\.0\\.0\\.1 is already in use`);
  for (const [version, warning] of [
    ['20.19.0', /Node\.js 20\.19\.0 works, but Node\.js 20 left upstream support in April 2026/],
    ['22.13.0', undefined],
    ['27.0.0', /Node\.js 27\.0\.0 is newer than the lines Strata is tested on/],
  ] as const) {
    const r = await runWith(version);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.match(lines.at(-1)!, taken, version);
    assert.equal(lines.length, warning === undefined ? 1 : 2, `${version}: ${r.stderr}`);
    if (warning !== undefined) assert.match(lines[0]!, warning);
  }
  noPidFiles(dir);
});

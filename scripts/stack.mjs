#!/usr/bin/env node
// start-pool.sh's helper: reads config/stack.toml with the config layer (so
// errors name the file and the key, and unknown keys are reported), checks
// each role's own config with the same overrides the role will get, and
// prints the start plan as bash assignments. Also checks ports and HTTP
// health, which bash alone does poorly.
//
//   node scripts/stack.mjs plan <stack.toml> [--with-miner] [--with-jd]
//   node scripts/stack.mjs paths <stack.toml>       (run and log directories only)
//   node scripts/stack.mjs ports-free <role>=<host>:<port> ...
//   node scripts/stack.mjs http-ok <url>
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const load = (p) => import(pathToFileURL(join(ROOT, 'dist', 'src', p)).href);

const STACK_ROLES = ['tp', 'pool', 'translator'];

/** Payout address for devnet stacks with none configured: P2WSH of OP_TRUE on regtest (no real value). */
const DEVNET_PAYOUT = 'bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85';

/** Bitcoin Core's default RPC port and cookie sub-directory per network. */
const CORE_DEFAULTS = {
  mainnet: { port: 8332, dir: '' },
  testnet4: { port: 48332, dir: 'testnet4' },
  testnet3: { port: 18332, dir: 'testnet3' },
  signet: { port: 38332, dir: 'signet' },
  regtest: { port: 18443, dir: 'regtest' },
};

function fail(message) {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(2);
}

/** Bash single-quoted word. */
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

async function stackSchema() {
  const c = await load('config/index.js');
  const port = (def, doc) => c.integer({ default: def, min: 0, max: 65535, doc });
  const nonZeroPort = (def, doc) => c.integer({ default: def, min: 1, max: 65535, doc });
  return {
    network: c.network({ default: 'devnet', doc: 'the chain' }),
    roles: c.array(c.oneOf(STACK_ROLES), { default: [...STACK_ROLES], doc: 'roles to start' }),
    bind_address: c.string({
      default: '0.0.0.0',
      doc: 'IP address the roles listen on',
      validate: (v) => (/^[0-9a-fA-F.:]+$/.test(v) ? undefined : 'an IP address such as "0.0.0.0"'),
    }),
    data_dir: c.path({ default: '../data', doc: 'keys, database, devnet chain, PID files' }),
    logs_dir: c.path({ default: '../logs', doc: 'one log file per role' }),
    start_timeout_secs: c.integer({ default: 60, min: 1, doc: 'time for each role to open its port' }),
    stop_grace_secs: c.integer({ default: 15, min: 0, doc: 'time between SIGTERM and SIGKILL' }),
    bitcoind: c.table({
      rpc_url: c.string({
        default: '',
        doc: 'Bitcoin Core JSON-RPC URL',
        validate: (v) => (v === '' || /^https?:\/\/[^\s]+$/.test(v) ? undefined : 'an http:// URL or ""'),
      }),
      rpc_cookie_file: c.string({ default: '', doc: 'cookie file' }),
      rpc_user: c.string({ default: '', doc: 'RPC user' }),
      rpc_password: c.string({ default: '', doc: 'RPC password' }),
    }),
    devnet: c.table({
      config: c.path({ default: 'devnet.toml', doc: 'devnet settings file' }),
      rpc_port: nonZeroPort(18443, 'devnet JSON-RPC port'),
      jd_tx_per_minute: c.number({
        default: 120,
        min: 0,
        doc: 'synthetic mempool transactions per minute with --with-jd; 0 = as the devnet file says',
      }),
    }),
    tp: c.table({
      config: c.path({ default: 'tp.toml', doc: 'tp settings file' }),
      port: nonZeroPort(8442, 'TDP port'),
    }),
    pool: c.table({
      config: c.path({ default: 'pool.toml', doc: 'pool settings file' }),
      port: nonZeroPort(34254, 'mining port'),
      web_port: port(8080, 'web page port; 0 = as pool.toml says'),
      coinbase_reward_script: c.string({ default: '', doc: 'pool payout address' }),
    }),
    translator: c.table({
      config: c.path({ default: 'translator.toml', doc: 'translator settings file' }),
      port: nonZeroPort(34255, 'SV1 port'),
    }),
    jds: c.table({
      config: c.path({ default: 'jds.toml', doc: 'job declarator server settings file' }),
      port: nonZeroPort(34264, 'Job Declaration port'),
    }),
    jdc_tp: c.table({
      config: c.path({ default: 'tp.toml', doc: "settings file of the JDC's own tp" }),
      port: nonZeroPort(8443, "TDP port of the JDC's own tp"),
    }),
    jdc: c.table({
      config: c.path({ default: 'jdc.toml', doc: 'job declarator client settings file' }),
      port: nonZeroPort(34265, 'mining port of the JDC'),
      coinbase_reward_script: c.string({ default: '', doc: 'JDC solo payout address' }),
      user_identity: c.string({ default: '', doc: "the JDC's account.worker on the pool" }),
    }),
    miner: c.table({
      account: c.string({
        default: 'demo',
        doc: 'demo account',
        validate: (v) =>
          /^[A-Za-z0-9_-]{1,64}$/.test(v) ? undefined : 'an account name (letters, digits, _ -)',
      }),
      threads: c.integer({ default: 1, min: 1, max: 256, doc: 'threads per demo miner' }),
      report_interval_secs: c.integer({ default: 10, min: 1, doc: 'seconds between report lines' }),
    }),
  };
}

/** Where probes connect for a listen address (wildcards are reached on loopback). */
function probeHost(bind) {
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
}

/** `[host]:port` for IPv6 hosts. */
function hostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The argv prefix that runs a role: the `strata` sub-command, or the role's stand-alone entry. */
async function entryFor(role, commands) {
  if (commands.includes(role)) return ['node', CLI, role];
  const main = join(ROOT, 'dist', 'src', 'roles', role, 'main.js');
  if (existsSync(main)) return ['node', main];
  fail(`${role}: this build has no "${role}" role (neither \`strata ${role}\` nor ${main})`);
}

/** Turns dotted config overrides into flags through the role's flag table; keys without a flag are refused. */
function flagsFor(role, rows, overrides) {
  const out = [];
  for (const [key, value] of Object.entries(overrides)) {
    const row = rows.find((r) => r[0] === key);
    if (row === undefined) fail(`${role}: this build has no command-line flag for \`${key}\``);
    const flag = row[1].split(/\s+/)[0];
    out.push(flag, String(value));
  }
  return out;
}

/** Runs the role's own config check (file + overrides); exits with its messages on failure. */
function checkRole(loader, file, overrides) {
  try {
    return loader(file, overrides);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

/** The checked stack file; exits with the config layer's messages when it is wrong. */
async function loadStack(stackFile) {
  if (!existsSync(join(ROOT, 'dist', 'src', 'config', 'index.js'))) fail('the build is missing (dist/)');
  const { loadConfig } = await load('config/index.js');
  try {
    return loadConfig(await stackSchema(), stackFile);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

/** What `stop` and `status` need even when a role's own config has gone wrong. */
async function paths(stackFile) {
  const s = await loadStack(stackFile);
  const lines = [
    `DATA_DIR=${q(s.data_dir)}`,
    `LOGS_DIR=${q(s.logs_dir)}`,
    `RUN_DIR=${q(join(s.data_dir, 'run'))}`,
    `STOP_GRACE=${s.stop_grace_secs}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function plan(stackFile, withMiner, withJd) {
  const s = await loadStack(stackFile);
  const roles = STACK_ROLES.filter((r) => s.roles.includes(r));
  if (withJd && !roles.includes('pool')) {
    fail(
      `${stackFile}: key \`roles\`: --with-jd needs "pool" in roles (the JDC mines on this stack's pool ` +
        'and its job declarator server)',
    );
  }
  const keys = join(s.data_dir, 'keys');
  const key = (name, ext) => join(keys, `${name}.${ext}`);
  const bind = s.bind_address;
  const local = probeHost(bind);
  const { buildProgram } = await import(pathToFileURL(CLI).href);
  const commands = (await buildProgram()).commands.map((c) => c.name());

  // The node: the embedded devnet, or a Bitcoin Core from [bitcoind].
  const devnet = s.network === 'devnet';
  const rpc = {};
  const plan = {
    order: [],
    port: {},
    host: {},
    listen: {},
    cmd: {},
    accounts: [],
    webPort: '',
    webHost: local,
  };
  if (devnet) {
    if (s.bitcoind.rpc_url !== '') {
      fail(
        `${stackFile}: key \`bitcoind.rpc_url\`: network "devnet" is the embedded node and takes no ` +
          'rpc_url; for a Bitcoin Core in regtest set network = "regtest"',
      );
    }
    const { loadDevnetConfig } = await load('roles/devnet/index.js');
    const dir = join(s.data_dir, 'devnet');
    const overrides = { rpc_port: s.devnet.rpc_port, data_dir: dir };
    // With --with-jd the devnet's mempool fills, so the JDC's templates carry transactions.
    const txRate = withJd && s.devnet.jd_tx_per_minute > 0 ? s.devnet.jd_tx_per_minute : undefined;
    if (txRate !== undefined) overrides.synthetic_tx_per_minute = txRate;
    const cfg = checkRole(loadDevnetConfig, s.devnet.config, overrides);
    const host = probeHost(cfg.rpc_bind);
    rpc['bitcoind.rpc_url'] = `http://${hostPort(host, s.devnet.rpc_port)}`;
    if (cfg.rpc_user !== '' && cfg.rpc_password !== '') {
      rpc['bitcoind.rpc_user'] = cfg.rpc_user;
      rpc['bitcoind.rpc_password'] = cfg.rpc_password;
    } else {
      rpc['bitcoind.rpc_cookie_file'] = join(dir, '.cookie');
    }
    const devFlags = ['-c', s.devnet.config, '--rpc-port', String(s.devnet.rpc_port), '--data-dir', dir];
    if (txRate !== undefined) devFlags.push('--tx-rate', String(txRate));
    plan.order.push('devnet');
    plan.port.devnet = s.devnet.rpc_port;
    plan.host.devnet = host;
    plan.listen.devnet = cfg.rpc_bind;
    plan.cmd.devnet = [...(await entryFor('devnet', commands)), ...devFlags];
  } else {
    const d = CORE_DEFAULTS[s.network];
    const b = s.bitcoind;
    rpc['bitcoind.rpc_url'] = b.rpc_url !== '' ? b.rpc_url : `http://127.0.0.1:${d.port}`;
    if (b.rpc_user !== '' && b.rpc_password !== '') {
      rpc['bitcoind.rpc_user'] = b.rpc_user;
      rpc['bitcoind.rpc_password'] = b.rpc_password;
    } else if (b.rpc_user !== '' || b.rpc_password !== '') {
      fail(
        `${stackFile}: key \`bitcoind.rpc_user\`: rpc_user and rpc_password go together (set both or neither)`,
      );
    } else {
      rpc['bitcoind.rpc_cookie_file'] =
        b.rpc_cookie_file !== ''
          ? resolve(dirname(resolve(stackFile)), b.rpc_cookie_file)
          : join(homedir(), '.bitcoin', d.dir, '.cookie');
      const cookie = rpc['bitcoind.rpc_cookie_file'];
      if (!existsSync(cookie)) {
        fail(
          `${stackFile}: key \`bitcoind.rpc_cookie_file\`: ${cookie} does not exist; is Bitcoin Core running ` +
            `on ${s.network} (it writes the cookie at start), or set rpc_user and rpc_password`,
        );
      }
    }
  }

  if (roles.includes('tp')) {
    const { loadTpConfig, TP_FLAGS } = await load('roles/tp/index.js');
    const overrides = {
      listen_address: hostPort(bind, s.tp.port),
      network: s.network,
      authority_secret_key: key('tp-authority', 'key'),
      authority_public_key: key('tp-authority', 'pub'),
      ...rpc,
    };
    checkRole(loadTpConfig, s.tp.config, overrides);
    plan.order.push('tp');
    plan.port.tp = s.tp.port;
    plan.host.tp = local;
    plan.cmd.tp = [
      ...(await entryFor('tp', commands)),
      '-c',
      s.tp.config,
      ...flagsFor('tp', TP_FLAGS, overrides),
    ];
  }

  let translatorIdentity;
  if (roles.includes('translator')) {
    const { loadTranslatorConfig, TRANSLATOR_FLAGS } = await load('roles/translator/index.js');
    const overrides = {
      downstream_address: bind,
      downstream_port: s.translator.port,
      'upstreams[0].authority_pubkey': key(withJd ? 'jdc-authority' : 'pool-authority', 'pub'),
    };
    // With --with-jd the JDC is its pool: pinned to the JDC's key; the JDC knows no accounts.
    if (withJd) overrides.verify_accounts = false;
    // The first upstream is this stack's pool, or its JDC (given as --upstream host:port).
    const upstreamPort = withJd ? s.jdc.port : s.pool.port;
    const upstream = roles.includes('pool') ? hostPort(local, upstreamPort) : undefined;
    const file = s.translator.config;
    const upstreamKeys =
      upstream === undefined ? {} : { 'upstreams[0].address': local, 'upstreams[0].port': upstreamPort };
    const cfg = checkRole(loadTranslatorConfig, file, { ...overrides, ...upstreamKeys });
    translatorIdentity = cfg.upstreams[0]?.user_identity;
    plan.cmd.translator = [
      ...(await entryFor('translator', commands)),
      '-c',
      file,
      ...(upstream === undefined ? [] : ['--upstream', upstream]),
      ...flagsFor('translator', TRANSLATOR_FLAGS, overrides),
    ];
    plan.port.translator = s.translator.port;
    plan.host.translator = local;
  }

  // The pool account the JDC's channel (and its downstreams' shares) is credited to.
  const jdcIdentity = s.jdc.user_identity !== '' ? s.jdc.user_identity : `${s.miner.account}.jdc`;
  let poolPayout = '';
  if (roles.includes('pool')) {
    const { loadPoolConfig, POOL_FLAGS } = await load('roles/pool/index.js');
    const overrides = {
      listen_address: hostPort(bind, s.pool.port),
      'template_provider.address': hostPort('127.0.0.1', s.tp.port),
      'template_provider.public_key': key('tp-authority', 'pub'),
      authority_secret_key: key('pool-authority', 'key'),
      authority_public_key: key('pool-authority', 'pub'),
      network: s.network,
      'database.path': join(s.data_dir, 'pool.db'),
      ...rpc,
    };
    // Web page settings, for a pool build that has flags for them.
    const web = { 'web.session_secret_file': join(s.data_dir, 'web-session.key') };
    if (s.pool.web_port !== 0) web['web.listen_address'] = hostPort(bind, s.pool.web_port);
    if (roles.includes('translator')) web['web.translator_port'] = s.translator.port;
    for (const [k, v] of Object.entries(web)) if (POOL_FLAGS.some((r) => r[0] === k)) overrides[k] = v;
    if (withJd) {
      overrides['job_declaration.enabled'] = true;
      overrides['job_declaration.token_secret_file'] = key('jd-token', 'key');
    }
    const fileCfg = checkRole(loadPoolConfig, s.pool.config, overrides);
    if (s.pool.coinbase_reward_script !== '') {
      overrides.coinbase_reward_script = s.pool.coinbase_reward_script;
    } else if (devnet && fileCfg.coinbase_reward_script.trim() === '') {
      overrides.coinbase_reward_script = DEVNET_PAYOUT;
    }
    const cfg = checkRole(loadPoolConfig, s.pool.config, overrides);
    if (cfg.web !== undefined && cfg.web.enabled !== false) {
      plan.webPort = cfg.web.listen_address.port;
      plan.webHost = probeHost(cfg.web.listen_address.host);
      plan.webListen = cfg.web.listen_address.host;
    }
    plan.order.push('pool');
    plan.port.pool = s.pool.port;
    plan.host.pool = local;
    const entry = await entryFor('pool', commands);
    const flags = ['-c', s.pool.config, ...flagsFor('pool', POOL_FLAGS, overrides)];
    plan.cmd.pool = [...entry, ...flags];
    plan.accountCmd = plan.cmd.pool;
    poolPayout = cfg.coinbase_reward_script;
    if (cfg.payout_mode === 'pplns') {
      const names = new Set();
      // Behind the JDC the translator's channel is on the JDC, not the pool; the JDC's is.
      if (translatorIdentity !== undefined && !withJd) names.add(translatorIdentity.split('.')[0]);
      if (withJd) names.add(jdcIdentity.split('.')[0]);
      if (withMiner) names.add(s.miner.account);
      plan.accounts = [...names].filter((n) => n !== '');
    }
  }
  if (withJd)
    await planJd(s, plan, { rpc, keys: key, bind, local, commands, devnet, poolPayout, jdcIdentity });
  if (plan.cmd.translator !== undefined) plan.order.push('translator');

  if (withMiner && roles.includes('pool')) {
    const miner = await entryFor('miner', commands);
    const threads = [
      '--threads',
      String(s.miner.threads),
      '--report-interval',
      String(s.miner.report_interval_secs),
    ];
    if (roles.includes('translator')) {
      plan.order.push('miner-sv1');
      plan.cmd['miner-sv1'] = [
        ...miner,
        '--sv1',
        '--pool',
        hostPort(local, s.translator.port),
        '--user',
        `${s.miner.account}.sv1`,
        ...threads,
      ];
    }
    // SV2 on the pool, or with --with-jd on the JDC (pinned to the JDC's key).
    plan.order.push('miner-sv2');
    plan.cmd['miner-sv2'] = [
      ...miner,
      '--pool',
      hostPort(local, withJd ? s.jdc.port : s.pool.port),
      '--authority-key',
      key(withJd ? 'jdc-authority' : 'pool-authority', 'pub'),
      '--user',
      `${s.miner.account}.sv2`,
      ...threads,
    ];
  }

  const lines = [
    `STACK_NETWORK=${q(s.network)}`,
    `DATA_DIR=${q(s.data_dir)}`,
    `LOGS_DIR=${q(s.logs_dir)}`,
    `RUN_DIR=${q(join(s.data_dir, 'run'))}`,
    `KEYS_DIR=${q(keys)}`,
    `START_TIMEOUT=${s.start_timeout_secs}`,
    `STOP_GRACE=${s.stop_grace_secs}`,
    `BIND_ADDRESS=${q(bind)}`,
    `RPC_URL=${q(rpc['bitcoind.rpc_url'])}`,
    `WEB_PORT=${q(plan.webPort)}`,
    `WEB_HOST=${q(plan.webHost)}`,
    `WEB_LISTEN=${q(plan.webListen ?? bind)}`,
    `ROLES=(${plan.order.map(q).join(' ')})`,
    `ACCOUNTS=(${plan.accounts.map(q).join(' ')})`,
    `ACCOUNT_CMD=(${(plan.accountCmd ?? []).map(q).join(' ')})`,
  ];
  for (const role of plan.order) {
    const v = role.replace('-', '_');
    lines.push(`PORT_${v}=${q(plan.port[role] ?? '')}`);
    lines.push(`HOST_${v}=${q(plan.host[role] ?? '')}`);
    lines.push(`LISTEN_${v}=${q(plan.listen[role] ?? bind)}`);
    lines.push(`CMD_${v}=(${plan.cmd[role].map(q).join(' ')})`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * --with-jd: the job declarator server beside the pool (the pool's key, its
 * payout and the token secret), a second tp on the same node for the JDC, and
 * the JDC on its own tp, mining on this pool and JDS under its own key.
 */
async function planJd(s, plan, ctx) {
  const { rpc, keys: key, bind, local, commands, devnet, poolPayout, jdcIdentity } = ctx;

  const { loadJdsConfig, JDS_FLAGS } = await load('roles/jds/index.js');
  const jds = {
    listen_address: hostPort(bind, s.jds.port),
    network: s.network,
    authority_secret_key: key('pool-authority', 'key'),
    authority_public_key: key('pool-authority', 'pub'),
    coinbase_reward_script: poolPayout,
    token_secret_file: key('jd-token', 'key'),
    ...rpc,
  };
  checkRole(loadJdsConfig, s.jds.config, jds);
  plan.order.push('jds');
  plan.port.jds = s.jds.port;
  plan.host.jds = local;
  plan.cmd.jds = [
    ...(await entryFor('jds', commands)),
    '-c',
    s.jds.config,
    ...flagsFor('jds', JDS_FLAGS, jds),
  ];

  const { loadTpConfig, TP_FLAGS } = await load('roles/tp/index.js');
  const tp = {
    listen_address: hostPort(bind, s.jdc_tp.port),
    network: s.network,
    authority_secret_key: key('tp-authority', 'key'),
    authority_public_key: key('tp-authority', 'pub'),
    ...rpc,
  };
  checkRole(loadTpConfig, s.jdc_tp.config, tp);
  plan.order.push('jdc-tp');
  plan.port['jdc-tp'] = s.jdc_tp.port;
  plan.host['jdc-tp'] = local;
  plan.cmd['jdc-tp'] = [
    ...(await entryFor('tp', commands)),
    '-c',
    s.jdc_tp.config,
    ...flagsFor('jdc-tp', TP_FLAGS, tp),
  ];

  const { loadJdcConfig, JDC_FLAGS } = await load('roles/jdc/index.js');
  const jdc = {
    listen_address: hostPort(bind, s.jdc.port),
    network: s.network,
    user_identity: jdcIdentity,
    authority_secret_key: key('jdc-authority', 'key'),
    authority_public_key: key('jdc-authority', 'pub'),
    'template_provider.address': hostPort(local, s.jdc_tp.port),
    'template_provider.public_key': key('tp-authority', 'pub'),
  };
  // One upstream: this stack's pool and JDS (both under the pool's key).
  const upstream = {
    pool_address: hostPort(local, s.pool.port),
    jds_address: hostPort(local, s.jds.port),
    authority_pubkey: key('pool-authority', 'pub'),
  };
  const fileCfg = checkRole(loadJdcConfig, s.jdc.config, { ...jdc, upstreams: [upstream] });
  if (s.jdc.coinbase_reward_script !== '') {
    jdc.coinbase_reward_script = s.jdc.coinbase_reward_script;
  } else if (fileCfg.coinbase_reward_script.trim() === '') {
    if (!devnet) {
      fail(
        `${s.jdc.config}: key \`coinbase_reward_script\`: the JDC needs its own payout address for solo ` +
          `mining on ${s.network}; set it there or as [jdc] coinbase_reward_script in the stack file`,
      );
    }
    jdc.coinbase_reward_script = DEVNET_PAYOUT;
  }
  checkRole(loadJdcConfig, s.jdc.config, { ...jdc, upstreams: [upstream] });
  const upstreamFlags = Object.fromEntries(
    Object.entries(upstream).map(([k, v]) => [`upstreams[0].${k}`, v]),
  );
  plan.order.push('jdc');
  plan.port.jdc = s.jdc.port;
  plan.host.jdc = local;
  plan.cmd.jdc = [
    ...(await entryFor('jdc', commands)),
    '-c',
    s.jdc.config,
    ...flagsFor('jdc', JDC_FLAGS, { ...jdc, ...upstreamFlags }),
  ];
}

/** Tries to listen on each `role=host:port`; prints one line per port that is taken. */
async function portsFree(specs) {
  let taken = 0;
  for (const spec of specs) {
    const m = /^([^=]+)=(.*):(\d+)$/.exec(spec);
    if (m === null) fail(`ports-free: expected role=host:port, got ${spec}`);
    const [, role, rawHost, p] = m;
    const host = rawHost.replace(/^\[(.*)\]$/, '$1');
    const port = Number(p);
    const err = await new Promise((done) => {
      const srv = createServer();
      srv.once('error', (e) => done(e));
      srv.listen({ host, port, exclusive: true }, () => srv.close(() => done(null)));
    });
    if (err !== null) {
      taken++;
      const why =
        err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${err.code ?? err.message})`;
      process.stdout.write(`port ${port} (${role}) on ${host} ${why}\n`);
    }
  }
  process.exit(taken === 0 ? 0 : 1);
}

async function httpOk(url) {
  try {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 3000).unref();
    const res = await fetch(url, { signal: abort.signal });
    process.exit(res.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'plan' && args[0] !== undefined) {
  await plan(args[0], args.includes('--with-miner'), args.includes('--with-jd'));
} else if (cmd === 'paths' && args[0] !== undefined) await paths(args[0]);
else if (cmd === 'ports-free') await portsFree(args);
else if (cmd === 'http-ok' && args[0] !== undefined) await httpOk(args[0]);
else
  fail(
    'usage: stack.mjs plan <stack.toml> [--with-miner] [--with-jd] | paths <stack.toml> | ports-free <role>=<host>:<port>... | http-ok <url>',
  );

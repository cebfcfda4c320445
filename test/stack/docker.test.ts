// docker-compose.yml, the Dockerfile, the container entrypoint and config/
// agree on ports, addresses and file names. The compose file is simple enough
// to read by indentation and regular expressions on known keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { addressToScript, networkByName } from '../../src/bitcoin/index.js';
import { ROOT } from '../helpers/paths.js';

const read = (...p: string[]) => readFileSync(join(ROOT, ...p), 'utf8');
// Quotes are normalised: the formatter may write either kind.
const compose = read('docker', 'docker-compose.yml').replace(/'/g, '"');
const dockerfile = read('docker', 'Dockerfile');
const entrypoint = read('docker', 'entrypoint.sh');
const toml = (name: string) => parse(read('config', name)) as Record<string, unknown>;

/** The text of each service block (lines indented under `  <name>:` in `services:`). */
function services(): Map<string, string> {
  const out = new Map<string, string>();
  const lines = compose.split('\n');
  const start = lines.indexOf('services:');
  assert.ok(start >= 0, 'no services: section');
  let name: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    const head = /^ {2}([a-z0-9_-]+):\s*$/.exec(line);
    if (head) {
      name = head[1]!;
      out.set(name, '');
    } else if (name !== undefined) {
      out.set(name, out.get(name)! + line + '\n');
    }
  }
  return out;
}

const svc = services();
const block = (name: string) => {
  const b = svc.get(name);
  assert.ok(b !== undefined, `no service ${name}`);
  return b;
};
/** Port of a "host:port" config value. */
const portOf = (v: unknown) => Number(String(v).split(':').pop());

const stack = toml('stack.toml') as Record<string, Record<string, unknown>>;
const tpPort = portOf(toml('tp.toml').listen_address);
const poolToml = toml('pool.toml');
const poolPort = portOf(poolToml.listen_address);
const translatorPort = Number(toml('translator.toml').downstream_port);
const web = poolToml.web as Record<string, unknown> | undefined;
const webPort = web?.listen_address !== undefined ? portOf(web.listen_address) : Number(stack.pool!.web_port);
const jdsToml = toml('jds.toml');
const jdcToml = toml('jdc.toml');
const jdsPort = portOf(jdsToml.listen_address);
const jdcPort = portOf(jdcToml.listen_address);
const jdcTpPort = Number(stack.jdc_tp!.port);
/** The SV1 port of the translator behind the JDC (compose profile "jd" only). */
const jdcTranslatorPort = Number(/--downstream-port (\d+)/.exec(entrypoint)?.[1]);
/** The services of the compose profile "jd". */
const JD_SERVICES = ['jdc', 'jdc-tp', 'jdc-translator', 'jds'];

test('the role configs, stack.toml and the compose file use the same ports', () => {
  assert.equal(tpPort, stack.tp!.port);
  assert.equal(poolPort, stack.pool!.port);
  assert.equal(translatorPort, stack.translator!.port);
  assert.equal(webPort, stack.pool!.web_port);

  assert.match(block('tp'), new RegExp(`expose:\\s*\\n\\s*- "${tpPort}"`));
  assert.match(block('pool'), new RegExp(`- "${poolPort}:${poolPort}"`));
  assert.match(block('pool'), new RegExp(`- "${webPort}:${webPort}"`));
  assert.match(block('translator'), new RegExp(`- "${translatorPort}:${translatorPort}"`));
  // Peers reach each other by service name on the configured ports.
  assert.match(compose, new RegExp(`TP_ADDRESS: tp:${tpPort}\\n`));
  assert.match(compose, new RegExp(`POOL_ADDRESS: pool:${poolPort}\\n`));
  assert.match(entrypoint, new RegExp(`TP_ADDRESS:-tp:${tpPort}\\}`));
  assert.match(entrypoint, new RegExp(`POOL_ADDRESS:-pool:${poolPort}\\}`));
});

test('the job declaration services use the ports of config/jds.toml, jdc.toml and stack.toml', () => {
  assert.equal(jdsPort, stack.jds!.port);
  assert.equal(jdcPort, stack.jdc!.port);
  // The JDC's own tp is the stack's second tp; config/jdc.toml's default is the first one's.
  assert.notEqual(jdcTpPort, tpPort);
  assert.ok(Number.isInteger(jdcTranslatorPort), 'the JDC translator has a --downstream-port');
  const all = [tpPort, poolPort, translatorPort, webPort, jdsPort, jdcTpPort, jdcPort, jdcTranslatorPort];
  assert.equal(new Set(all).size, all.length, `ports collide: ${all.join(', ')}`);

  assert.match(block('jds'), new RegExp(`- "${jdsPort}:${jdsPort}"`));
  assert.match(block('jdc-tp'), new RegExp(`expose:\\s*\\n\\s*- "${jdcTpPort}"`));
  assert.match(block('jdc'), new RegExp(`- "${jdcPort}:${jdcPort}"`));
  assert.match(block('jdc-translator'), new RegExp(`- "${jdcTranslatorPort}:${jdcTranslatorPort}"`));
  assert.match(compose, new RegExp(`JDS_ADDRESS: jds:${jdsPort}\\n`));
  assert.match(compose, new RegExp(`JDC_TP_ADDRESS: jdc-tp:${jdcTpPort}\\n`));
  assert.match(compose, new RegExp(`JDC_ADDRESS: jdc:${jdcPort}\\n`));
  assert.match(entrypoint, new RegExp(`JDS_ADDRESS:-jds:${jdsPort}\\}`));
  assert.match(entrypoint, new RegExp(`JDC_TP_ADDRESS:-jdc-tp:${jdcTpPort}\\}`));
  assert.match(entrypoint, new RegExp(`JDC_ADDRESS:-jdc:${jdcPort}\\}`));
  // The second tp listens where the JDC looks for it.
  assert.match(
    entrypoint,
    new RegExp(`strata tp -c config/tp\\.toml "\\$\\{RPC\\[@\\]\\}" --listen 0\\.0\\.0\\.0:${jdcTpPort} `),
  );
});

test('health checks probe the ports the roles listen on', () => {
  assert.match(block('tp'), new RegExp(`healthcheck.mjs", "tcp", "${tpPort}"`));
  assert.match(
    block('pool'),
    new RegExp(`healthcheck.mjs", "tcp", "${poolPort}", "http", "http://127\\.0\\.0\\.1:${webPort}/healthz"`),
  );
  assert.match(block('translator'), new RegExp(`healthcheck.mjs", "tcp", "${translatorPort}"`));
  assert.match(block('jds'), new RegExp(`healthcheck.mjs", "tcp", "${jdsPort}"`));
  assert.match(block('jdc-tp'), new RegExp(`healthcheck.mjs", "tcp", "${jdcTpPort}"`));
  assert.match(block('jdc'), new RegExp(`healthcheck.mjs", "tcp", "${jdcPort}"`));
  assert.match(block('jdc-translator'), new RegExp(`healthcheck.mjs", "tcp", "${jdcTranslatorPort}"`));
  assert.match(block('bitcoind'), /healthcheck:[\s\S]*bitcoin-cli -rpcport=18443 /);
  for (const name of ['bitcoind', 'tp', 'pool', 'translator', ...JD_SERVICES]) {
    assert.match(block(name), /healthcheck:/);
  }
});

test('Bitcoin Core: one network variable, RPC port and cookie file shared with tp and pool', () => {
  const core = block('bitcoind');
  assert.match(core, /image: bitcoin\/bitcoin:\d+\.\d+/);
  assert.match(core, /NETWORK: \$\{NETWORK:-regtest\}/);
  assert.match(compose, /STRATA_NETWORK: \$\{NETWORK:-regtest\}/);
  const rpcPort = Number(/-rpcport=(\d+)/.exec(core)?.[1]);
  assert.match(compose, new RegExp(`BITCOIN_RPC_URL: http://bitcoind:${rpcPort}\\n`));
  assert.match(entrypoint, new RegExp(`BITCOIN_RPC_URL:-http://bitcoind:${rpcPort}\\}`));
  // The devnet and tp.toml default to the same (regtest) RPC port.
  assert.equal(rpcPort, stack.devnet!.rpc_port);
  assert.equal(portOf((toml('tp.toml').bitcoind as Record<string, unknown>).rpc_url), rpcPort);

  const cookieFile = /-rpccookiefile=(\S+)/.exec(core)?.[1];
  assert.ok(cookieFile !== undefined);
  const coreMount = /- bitcoin-cookie:(\S+)\n/.exec(core)?.[1];
  const strataCookie = /BITCOIN_RPC_COOKIE: (\S+)\n/.exec(compose)?.[1];
  const strataMount = /- bitcoin-cookie:(\S+):ro\n/.exec(compose)?.[1];
  assert.equal(cookieFile, `${coreMount}/.cookie`);
  assert.equal(strataCookie, `${strataMount}/.cookie`);
  assert.match(entrypoint, new RegExp(`BITCOIN_RPC_COOKIE:-${strataCookie!.replace(/\./g, '\\.')}\\}`));
});

test('keys, database and configs are where config/*.toml expect them inside the image', () => {
  const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile.split(/^FROM .* AS runtime$/m)[1]!)?.[1];
  assert.equal(workdir, '/app');
  assert.match(dockerfile, /^COPY config \.\/config$/m);
  // Relative paths in config/*.toml are relative to config/; the data volume is their data/.
  const dataDir = resolve('/app/config', '../data');
  assert.match(compose, new RegExp(`- strata-data:${dataDir}\\n`));
  const pool = poolToml as Record<string, Record<string, unknown> | string>;
  const tp = toml('tp.toml');
  const translator = toml('translator.toml') as { upstreams: Record<string, unknown>[] };
  const inData = (v: unknown) => resolve('/app/config', String(v));
  // The keys service writes <WORKDIR>/data/keys/<name>.{key,pub} under the config's names.
  assert.match(entrypoint, /for name in tp-authority pool-authority jdc-authority; do/);
  assert.match(entrypoint, /keygen --out-dir data\/keys --name "\$name"/);
  assert.equal(inData(tp.authority_secret_key), `${dataDir}/keys/tp-authority.key`);
  assert.equal(inData(pool.authority_secret_key), `${dataDir}/keys/pool-authority.key`);
  assert.equal(
    inData((pool.template_provider as Record<string, unknown>).public_key),
    `${dataDir}/keys/tp-authority.pub`,
  );
  assert.equal(inData(translator.upstreams[0]!.authority_pubkey), `${dataDir}/keys/pool-authority.pub`);
  assert.equal(inData((pool.database as Record<string, unknown>).path), `${dataDir}/pool.db`);
  // Job declaration: the JDS under the pool's key, the JDC under its own and pinning the tp's;
  // the token secret the keys service writes is the one the pool and the JDS read.
  assert.equal(inData(jdsToml.authority_secret_key), `${dataDir}/keys/pool-authority.key`);
  assert.equal(inData(jdcToml.authority_secret_key), `${dataDir}/keys/jdc-authority.key`);
  assert.equal(inData(jdcToml.authority_public_key), `${dataDir}/keys/jdc-authority.pub`);
  assert.equal(
    inData((jdcToml.template_provider as Record<string, unknown>).public_key),
    `${dataDir}/keys/tp-authority.pub`,
  );
  const secret = `${dataDir}/keys/jd-token.key`;
  assert.equal(inData(jdsToml.token_secret_file), secret);
  assert.equal(inData((pool.job_declaration as Record<string, unknown>).token_secret_file), secret);
  assert.match(entrypoint, /keygen --jd-token-secret data\/keys\/jd-token\.key\n/);
  assert.match(entrypoint, /--job-declaration true --jd-token-secret data\/keys\/jd-token\.key\)/);
  // Paths on the command line are relative to the working directory, /app.
  assert.match(entrypoint, /POOL_AUTHORITY_PUBKEY:-data\/keys\/pool-authority\.pub\}/);
  assert.match(
    entrypoint,
    /--upstream-authority-pubkey data\/keys\/jdc-authority\.pub --verify-accounts false/,
  );
  assert.match(dockerfile, new RegExp(`mkdir -p ${dataDir}/keys && chown -R node:node ${dataDir}`));
  for (const name of ['tp', 'pool', 'translator', 'jds', 'jdc']) {
    const file = `config/${name}.toml`;
    assert.ok(existsSync(join(ROOT, file)), file);
    assert.match(entrypoint, new RegExp(`strata ${name} -c ${file.replace('.', '\\.')} `));
  }
});

test('the Dockerfile builds in a build stage and runs node:26-slim with production dependencies', () => {
  const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(stages, [
    ['node:26-slim', 'build'],
    ['node:26-slim', 'runtime'],
  ]);
  const [build, runtime] = dockerfile.split(/^FROM node:26-slim AS runtime$/m) as [string, string];
  assert.match(build, /python3 make g\+\+/, 'native build tools for better-sqlite3');
  assert.match(build, /RUN npm ci /);
  assert.match(build, /npx tsc -p \. && npm prune --omit=dev/);
  assert.doesNotMatch(runtime, /npm (ci|install)/);
  assert.match(runtime, /COPY --from=build \/app\/node_modules/);
  assert.match(runtime, /^USER node$/m);
  const exposed = /^EXPOSE (.+)$/m
    .exec(runtime)![1]!
    .split(/\s+/)
    .map(Number)
    .sort((a, b) => a - b);
  assert.deepEqual(
    exposed,
    [tpPort, poolPort, translatorPort, webPort, jdsPort, jdcTpPort, jdcPort, jdcTranslatorPort].sort(
      (a, b) => a - b,
    ),
  );
  for (const f of ['docker/entrypoint.sh', 'docker/healthcheck.mjs']) {
    assert.ok(existsSync(join(ROOT, f)), f);
    assert.match(runtime, new RegExp(f.replace('.', '\\.')));
  }
  assert.match(runtime, /^ENTRYPOINT \["\/app\/docker\/entrypoint\.sh"\]$/m);
  assert.match(compose, /dockerfile: docker\/Dockerfile\n/);
  const ignored = read('.dockerignore').split('\n');
  for (const entry of ['.git', 'node_modules', 'dist', 'data', 'logs'])
    assert.ok(ignored.includes(entry), entry);
});

/** The profiles a service is in (none: always started). */
const profilesOf = (name: string) =>
  [...(/^ {4}profiles: \[(.*)\]$/m.exec(block(name))?.[1]?.matchAll(/"([^"]+)"/g) ?? [])].map((m) => m[1]!);

test('compose runs bitcoind, keys, tp, pool and translator; the profile "jd" adds jds, jdc-tp, jdc and jdc-translator', () => {
  const inProfile = (profile: string) => (name: string) => profilesOf(name).includes(profile);
  const always = [...svc.keys()].filter((n) => profilesOf(n).length === 0).sort();
  const jd = [...svc.keys()].filter(inProfile('jd')).sort();
  assert.deepEqual(always, ['bitcoind', 'keys', 'pool', 'tp', 'translator']);
  assert.deepEqual(jd, JD_SERVICES);
  assert.deepEqual([...svc.keys()].filter(inProfile('postgres')), ['postgres']);
  assert.match(block('tp'), /keys:\s*\n\s*condition: service_completed_successfully/);
  assert.match(block('pool'), /tp:\s*\n\s*condition: service_healthy/);
  assert.match(block('translator'), /pool:\s*\n\s*condition: service_healthy/);
  assert.match(block('jds'), /pool:\s*\n\s*condition: service_healthy/);
  assert.match(block('jdc-tp'), /bitcoind:\s*\n\s*condition: service_healthy/);
  assert.match(block('jdc-tp'), /keys:\s*\n\s*condition: service_completed_successfully/);
  assert.match(block('jdc'), /jds:\s*\n\s*condition: service_healthy/);
  assert.match(block('jdc'), /jdc-tp:\s*\n\s*condition: service_healthy/);
  assert.match(block('jdc-translator'), /jdc:\s*\n\s*condition: service_healthy/);
  // Each service runs its own entrypoint role; those on the node read Core's cookie.
  for (const name of JD_SERVICES) {
    assert.match(block(name), new RegExp(`command: \\["${name}"\\]`));
    assert.match(entrypoint, new RegExp(`^  ${name}\\)$`, 'm'));
  }
  for (const name of ['jds', 'jdc-tp']) assert.match(block(name), /- bitcoin-cookie:\/bitcoin:ro\n/);
  // The pool takes custom jobs only when told, and then creates the JDC's account.
  assert.match(compose, /JOB_DECLARATION: \$\{JOB_DECLARATION:-false\}\n/);
  assert.match(compose, /JOB_DECLARATION=true docker compose -f docker\/docker-compose\.yml --profile jd up/);
  assert.match(entrypoint, /if \[\[ "\$\{JOB_DECLARATION:-false\}" == true \]\]; then/);
  assert.match(compose, /JDC_USER_IDENTITY: \$\{JDC_USER_IDENTITY:-strata-jdc\}\n/);
  assert.match(entrypoint, /JDC_USER_IDENTITY:-strata-jdc\}/);
});

test('the profile "postgres": a PostgreSQL server inside the network, healthy before the pool, and the URL the docs give', () => {
  const pg = block('postgres');
  assert.match(pg, /^ {4}image: postgres:\d+\n/m);
  const env = (key: string) => new RegExp(`^ {6}${key}: (.+)$`, 'm').exec(pg)?.[1];
  const user = env('POSTGRES_USER');
  const db = env('POSTGRES_DB');
  assert.ok(user && db, 'POSTGRES_USER and POSTGRES_DB are set');
  const password = /^\$\{POSTGRES_PASSWORD:-([^}]+)\}$/.exec(env('POSTGRES_PASSWORD') ?? '')?.[1];
  assert.ok(password, 'the password comes from POSTGRES_PASSWORD, with a default');
  // Reachable by service name inside the compose network, published nowhere.
  const port = Number(/expose:\s*\n\s*- "(\d+)"/.exec(pg)?.[1]);
  assert.equal(port, 5432);
  assert.doesNotMatch(pg, /ports:/);
  // Ready means answering over TCP as that user on that database.
  assert.match(
    pg,
    new RegExp(
      `healthcheck:\\s*\\n\\s*test: \\["CMD", "pg_isready", "-h", "127\\.0\\.0\\.1", "-p", "${port}", "-U", "${user}", "-d", "${db}"\\]`,
    ),
  );
  // Its data in a volume of its own, declared at the top level.
  const volume = /- ([a-z-]+):\/var\/lib\/postgresql\/data\n/.exec(pg)?.[1];
  assert.ok(volume);
  assert.match(compose.slice(compose.lastIndexOf('\nvolumes:\n')), new RegExp(`\\n {2}${volume}:\\n`));
  // With the profile on, the pool waits for it; without it, the dependency is dropped.
  assert.match(block('pool'), /postgres:\s*\n\s*condition: service_healthy\n\s*required: false\n/);
  // The URL in the compose comments and in docker/README-stack.md reaches this server.
  const url = `postgres://${user}:${password}@postgres:${port}/${db}`;
  assert.ok(compose.includes(`url = "postgres://${user}:<POSTGRES_PASSWORD>@postgres:${port}/${db}"`));
  const doc = read('docker', 'README-stack.md');
  assert.ok(doc.includes(`url = "${url}"`), url);
  assert.ok(doc.includes('--profile postgres up'));
  assert.ok(compose.includes('--profile postgres up'));
});

test('the regtest payout address of the entrypoint and the stack is the P2WSH of OP_TRUE', () => {
  const address = /REGTEST_PAYOUT=(\S+)/.exec(entrypoint)?.[1];
  assert.ok(address !== undefined);
  assert.ok(read('scripts', 'stack.mjs').includes(`'${address}'`), 'scripts/stack.mjs uses the same address');
  const script = addressToScript(address, networkByName('regtest'));
  const want = Buffer.concat([
    Buffer.from([0x00, 0x20]),
    createHash('sha256')
      .update(Buffer.from([0x51]))
      .digest(),
  ]);
  assert.deepEqual(Buffer.from(script), want);
});

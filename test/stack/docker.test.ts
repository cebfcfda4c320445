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

test('health checks probe the ports the roles listen on', () => {
  assert.match(block('tp'), new RegExp(`healthcheck.mjs", "tcp", "${tpPort}"`));
  assert.match(
    block('pool'),
    new RegExp(`healthcheck.mjs", "tcp", "${poolPort}", "http", "http://127\\.0\\.0\\.1:${webPort}/healthz"`),
  );
  assert.match(block('translator'), new RegExp(`healthcheck.mjs", "tcp", "${translatorPort}"`));
  assert.match(block('bitcoind'), /healthcheck:[\s\S]*bitcoin-cli -rpcport=18443 /);
  for (const name of ['bitcoind', 'tp', 'pool', 'translator']) assert.match(block(name), /healthcheck:/);
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
  assert.match(entrypoint, /for name in tp-authority pool-authority; do/);
  assert.match(entrypoint, /keygen --out-dir data\/keys --name "\$name"/);
  assert.equal(inData(tp.authority_secret_key), `${dataDir}/keys/tp-authority.key`);
  assert.equal(inData(pool.authority_secret_key), `${dataDir}/keys/pool-authority.key`);
  assert.equal(
    inData((pool.template_provider as Record<string, unknown>).public_key),
    `${dataDir}/keys/tp-authority.pub`,
  );
  assert.equal(inData(translator.upstreams[0]!.authority_pubkey), `${dataDir}/keys/pool-authority.pub`);
  assert.equal(inData((pool.database as Record<string, unknown>).path), `${dataDir}/pool.db`);
  assert.match(dockerfile, new RegExp(`mkdir -p ${dataDir}/keys && chown -R node:node ${dataDir}`));
  for (const name of ['tp', 'pool', 'translator']) {
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
    [tpPort, poolPort, translatorPort, webPort].sort((a, b) => a - b),
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

test('compose runs exactly bitcoind, keys, tp, pool and translator; job declaration is left out', () => {
  assert.deepEqual([...svc.keys()].sort(), ['bitcoind', 'keys', 'pool', 'tp', 'translator']);
  assert.match(compose, /job declaration roles \(jds, jdc\) are not part of\s*\n?#?\s*this build yet/);
  assert.match(block('tp'), /keys:\s*\n\s*condition: service_completed_successfully/);
  assert.match(block('pool'), /tp:\s*\n\s*condition: service_healthy/);
  assert.match(block('translator'), /pool:\s*\n\s*condition: service_healthy/);
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

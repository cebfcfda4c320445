// The TOML config loader of every role: each role's schema through
// parseConfig, the step of loadConfig after it reads the file as UTF-8 (the
// file itself is only read; writing one per input costs more than the parse).
// ConfigError (with its message) is the contract; any other exception is a finding.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig, type Schema } from '../../../src/config/index.js';
import { DEVNET_SCHEMA } from '../../../src/roles/devnet/config.js';
import { JDC_SCHEMA } from '../../../src/roles/jdc/config.js';
import { JDS_SCHEMA } from '../../../src/roles/jds/config.js';
import { POOL_SCHEMA } from '../../../src/roles/pool/config.js';
import { TP_SCHEMA } from '../../../src/roles/tp/config.js';
import { TRANSLATOR_SCHEMA } from '../../../src/roles/translator/config.js';
import { ROOT, vectorPath } from '../../helpers/paths.js';
import { utf8, type FuzzTarget, type Rng } from '../core.js';

/** Byte 0 of an input picks the role (index into this list, modulo its length). */
const ROLES: [string, Schema][] = [
  ['tp', TP_SCHEMA],
  ['pool', POOL_SCHEMA],
  ['translator', TRANSLATOR_SCHEMA],
  ['jds', JDS_SCHEMA],
  ['jdc', JDC_SCHEMA],
  ['devnet', DEVNET_SCHEMA],
];

const roleIndex = (name: string): number => ROLES.findIndex(([n]) => n === name);

/** The reference implementation's example configs, by the role that reads that kind of file. */
const REFERENCE: [string, string][] = [
  ['pool-apps/pool/config-examples', 'pool'],
  ['pool-apps/jd-server/config-examples', 'jds'],
  ['miner-apps/jd-client/config-examples', 'jdc'],
  ['miner-apps/translator/config-examples', 'translator'],
];

let dir: string | undefined;

function withRole(role: number, text: string | Uint8Array): Uint8Array {
  const body = typeof text === 'string' ? utf8(text) : text;
  return Uint8Array.from([role, ...body]);
}

const VALUES = [
  '0',
  '-1',
  '65536',
  '1e400',
  '9007199254740993',
  '0x7fffffff',
  'inf',
  'nan',
  'true',
  '"x"',
  '""',
  '"127.0.0.1:0"',
  '"[::1]:34254"',
  '"300s"',
  '"1h"',
  '"http://127.0.0.1:18443"',
  '"regtest"',
  '[]',
  '[1, "a"]',
  '{}',
  '1979-05-27T07:32:00Z',
  '"' + 'a'.repeat(300) + '"',
];

function randomToml(rng: Rng, keys: string[]): string {
  const lines: string[] = [];
  for (let n = rng.int(8); n > 0; n--) {
    const key = rng.chance(0.9) && keys.length > 0 ? rng.pick(keys) : 'k' + rng.int(5);
    if (rng.chance(0.1)) lines.push(`[${key}]`);
    else if (rng.chance(0.05)) lines.push(`[[${key}]]`);
    else lines.push(`${key} = ${rng.pick(VALUES)}`);
  }
  return lines.join('\n') + '\n';
}

/** Keys of the shipped and reference configs, for generated files. */
const keyCache: string[] = [];

export const configLoad: FuzzTarget = {
  name: 'config',
  description:
    "each role's TOML schema through parseConfig (byte 0 picks tp, pool, translator, jds, jdc, devnet) as the file text; only ConfigError may be thrown",
  maxLength: 16_384,
  dictionary: [
    '\n',
    '=',
    '[',
    ']',
    '[[',
    ']]',
    '"',
    "'''",
    '"""',
    '.',
    ',',
    '{',
    '}',
    '#',
    '\\u0000',
    '\\U0010ffff',
    ...VALUES,
  ],
  setup() {
    dir ??= mkdtempSync(join(tmpdir(), 'strata-fuzz-config-'));
  },
  teardown() {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
  seeds() {
    const out: Uint8Array[] = [];
    for (const f of readdirSync(join(ROOT, 'config')).sort()) {
      const role = roleIndex(f.replace(/\.toml$/, ''));
      if (role >= 0) out.push(withRole(role, readFileSync(join(ROOT, 'config', f))));
    }
    for (const [sub, role] of REFERENCE) {
      const d = vectorPath('sv2-apps', sub);
      for (const f of readdirSync(d).sort()) out.push(withRole(roleIndex(role), readFileSync(join(d, f))));
    }
    if (keyCache.length === 0) {
      for (const s of out) {
        for (const m of Buffer.from(s.subarray(1))
          .toString('utf8')
          .matchAll(/^\s*([A-Za-z0-9_.-]+)\s*=|^\s*\[+([^\]]+)\]/gm)) {
          keyCache.push((m[1] ?? m[2])!);
        }
      }
    }
    return out;
  },
  generate(rng) {
    if (rng.chance(0.05)) {
      // Deep nesting: arrays, inline tables, dotted keys and table headers.
      const n = 1 + rng.int(4000);
      const key = rng.pick(keyCache.length > 0 ? keyCache : ['k']);
      const text = rng.pick([
        () => `${key} = ${'['.repeat(n)}${']'.repeat(n)}`,
        () => `${key} = ${'{a='.repeat(n)}1${'}'.repeat(n)}`,
        () => `[${`${key}.`.repeat(Math.min(n, 2000))}x]`,
        () => `${key}${'.a'.repeat(n)} = 1`,
      ])();
      return withRole(rng.int(ROLES.length), text);
    }
    return withRole(rng.int(ROLES.length), randomToml(rng, keyCache));
  },
  run(input) {
    const [name, schema] = ROLES[(input[0] ?? 0) % ROLES.length]!;
    // What readFileSync(file, 'utf8') gives loadConfig for these bytes.
    const text = Buffer.from(input.subarray(1)).toString('utf8');
    try {
      parseConfig(schema, text, { source: `${name}.toml`, baseDir: dir! });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (e.message.trim() === '') throw new Error('ConfigError without a message');
    }
  },
};

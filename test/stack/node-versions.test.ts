// The supported Node.js releases are written down in several places; they
// must agree: package.json engines (the source), the dependency tree's own
// engines (or `npm ci` warns EBADENGINE), @types/node, the node .ci/run runs
// on, the Docker base image, start-pool.sh's check and the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

type Version = [number, number, number];
type Check = (v: Version) => boolean;

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

function cmp(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator of a semver range (the forms package engines use; anything else throws). */
function comparator(token: string): Check {
  if (token === '' || token === '*' || token === 'x') return () => true;
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(token);
  if (!m) throw new Error(`engines range part ${JSON.stringify(token)} is not understood by this test`);
  const op = m[1] ?? '';
  const parts = [m[2], m[3], m[4]].map((p) => (p === undefined || /^[xX*]$/.test(p) ? undefined : Number(p)));
  const known = parts.findIndex((p) => p === undefined);
  const given = known === -1 ? 3 : known;
  const low = [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0] as Version;
  /** The first version past the partial one (`20` → 21.0.0, `20.9` → 20.10.0). */
  const next = (n: number): Version => {
    const v = [...low] as Version;
    v[n - 1]! += 1;
    for (let i = n; i < 3; i++) v[i] = 0;
    return v;
  };
  const ge =
    (a: Version): Check =>
    (v) =>
      cmp(v, a) >= 0;
  const lt =
    (a: Version): Check =>
    (v) =>
      cmp(v, a) < 0;
  const both =
    (x: Check, y: Check): Check =>
    (v) =>
      x(v) && y(v);
  if (given === 0) return () => true;
  switch (op) {
    case '^': {
      const first = low[0] > 0 || given === 1 ? 1 : low[1] > 0 || given === 2 ? 2 : 3;
      return both(ge(low), lt(next(first)));
    }
    case '~':
      return both(ge(low), lt(next(Math.min(given, 2))));
    case '>=':
      return ge(low);
    case '>':
      return given === 3 ? (v) => cmp(v, low) > 0 : ge(next(given));
    case '<':
      return lt(low);
    case '<=':
      return given === 3 ? (v) => cmp(v, low) <= 0 : lt(next(given));
    default:
      return given === 3 ? (v) => cmp(v, low) === 0 : both(ge(low), lt(next(given)));
  }
}

function satisfies(v: Version, range: string): boolean {
  return range.split('||').some((alt) =>
    alt
      .trim()
      .replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/)
      .every((token) => comparator(token)(v)),
  );
}

function parse(text: string): Version {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  assert.ok(m, `${text} is a version`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The supported lines: package.json engines must be `^X.Y.Z || ^X.Y.Z ...`, one per line. */
function supportedLines(): { major: number; floor: Version }[] {
  return pkg.engines.node.split('||').map((alt) => {
    const m = /^\^(\d+\.\d+\.\d+)$/.exec(alt.trim());
    assert.ok(m, `engines part ${JSON.stringify(alt)} is one release line as ^X.Y.Z`);
    const floor = parse(m[1]!);
    return { major: floor[0], floor };
  });
}

/** "20 (20.19 or newer), 22 (22.13 or newer), 24 or 26": how start-pool.sh and the README name the lines. */
function linesText(): string {
  const names = supportedLines().map(({ major, floor }) =>
    floor[1] > 0 || floor[2] > 0
      ? `${major} (${floor.slice(0, floor[2] > 0 ? 3 : 2).join('.')} or newer)`
      : `${major}`,
  );
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

test('the test reads semver ranges the way npm does for the forms engines use', () => {
  const cases: [string, string, boolean][] = [
    ['22.13.0', '^20.19.0 || ^22.13.0 || >=24', true],
    ['22.12.0', '^20.19.0 || ^22.13.0 || >=24', false],
    ['23.1.0', '^20.19.0 || ^22.13.0 || >=24', false],
    ['20.20.2', '>=22', false],
    ['26.0.0', '20.x || 22.x || 23.x || 24.x || 25.x || 26.x', true],
    ['27.0.0', '20.x || 22.x || 23.x || 24.x || 25.x || 26.x', false],
    ['22.0.0', '>= 10.x', true],
    ['22.0.0', '20 || >=22', true],
    ['21.5.0', '20 || >=22', false],
    ['24.1.0', '^16 || ^18 || >=20', true],
    ['24.1.0', '*', true],
    ['24.1.0', '>=21.1.0', true],
    ['21.0.5', '>=21.1.0', false],
    ['0.9.0', '~0.8.0', false],
    ['0.8.7', '~0.8.0', true],
  ];
  for (const [v, range, want] of cases) assert.equal(satisfies(parse(v), range), want, `${v} in ${range}`);
  assert.throws(() => satisfies([1, 0, 0], '>=1.0.0-beta'), /not understood/);
});

test('every package in the lock file accepts every supported Node.js line, first to last release', () => {
  const lines = supportedLines();
  assert.ok(lines.length >= 2, 'at least the current LTS lines');
  const root = lock.packages['']?.engines as { node?: string } | undefined;
  assert.equal(root?.node, pkg.engines.node, 'package-lock.json has the engines of package.json');
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || Array.isArray(entry.engines) || !entry.engines?.node) continue;
    for (const { floor } of lines) {
      for (const v of [floor, [floor[0], 999, 0] as Version]) {
        if (!satisfies(v, entry.engines.node)) {
          refused.push(`${path}@${entry.version} (engines ${entry.engines.node}) refuses ${v.join('.')}`);
        }
      }
    }
  }
  assert.deepEqual(refused, [], 'npm ci would warn EBADENGINE');
  const types = /^\^?(\d+)\./.exec(pkg.devDependencies['@types/node'] ?? '');
  assert.equal(Number(types?.[1]), lines[0]!.major, '@types/node is of the oldest supported line');
});

test('.ci/run, the Dockerfile, start-pool.sh and the README name the same Node.js releases', () => {
  const lines = supportedLines();
  const majors = lines.map((l) => l.major);
  // .ci/run runs on the machine's node unless STRATA_CI_NODE names one: this run's node is supported.
  assert.ok(satisfies(parse(process.versions.node), pkg.engines.node), `node ${process.versions.node}`);
  assert.match(
    read('.ci/run'),
    /NODE_VERSION="\$\{STRATA_CI_NODE:-\}"/,
    '.ci/run pins no release by default',
  );

  const bases = [...read('docker/Dockerfile').matchAll(/^FROM node:(\d+)-slim AS \S+$/gm)].map((m) =>
    Number(m[1]),
  );
  assert.equal(bases.length, 2, 'build and runtime stages');
  for (const major of bases) assert.equal(major, majors.at(-1), 'the image runs the newest supported line');

  const script = read('start-pool.sh');
  assert.ok(script.includes(`NODE_SUPPORTED="${linesText()}"`), `start-pool.sh names ${linesText()}`);
  assert.ok(script.includes(pkg.engines.node), "start-pool.sh's comment quotes the engines range");

  const readme = read('README.md').replace(/\s+/g, ' ');
  assert.ok(
    readme.includes(`Requires Node.js on a supported release line: ${linesText()}`),
    'README states the supported lines',
  );
  assert.match(readme, new RegExp(`\`node:${bases[0]}-slim\``), 'README names the image');
  assert.ok(read('docker/README-stack.md').includes(`\`node:${bases[0]}-slim\``));
});

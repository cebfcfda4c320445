// The building blocks of a role's config schema: one Field per key, each
// knowing its TOML type, default, documentation and how to check a value.
import { describeValue } from './errors.js';

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'table';

/** Where parsing reports problems, and what relative paths are relative to. */
export interface ParseContext {
  report(key: string, problem: string): void;
  baseDirFor(key: string): string;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Parsed<T> = T | typeof INVALID;

export interface Field<T> {
  readonly type: FieldType;
  readonly doc: string;
  readonly required: boolean;
  readonly hasDefault: boolean;
  /** The default in TOML form ("0.0.0.0:34254", 30); parsed like a file value. */
  readonly defaultValue: unknown;
  /** For messages: `expected <this>, got …`. */
  readonly expected: string;
  /** Sub-schema of a table or array of tables. */
  readonly schema?: Schema;
  /** A table that may be absent as a whole (value undefined). */
  readonly optionalTable?: boolean;
  /** Parses a value that is present; reports and returns INVALID when it is wrong. */
  parse(raw: unknown, key: string, ctx: ParseContext): Parsed<T>;
}

export type Schema = { readonly [key: string]: Field<unknown> };
export type ValueOf<F> = F extends Field<infer T> ? T : never;
export type ConfigOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export interface Common<R> {
  doc?: string;
  /** In TOML form; checked like a value from the file. */
  default?: R;
  required?: boolean;
}

/** Adds `undefined` to a key's type unless it is required or has a default. */
export type Presence<O> = O extends { default: unknown }
  ? never
  : O extends { required: true }
    ? never
    : undefined;
type NoOpts = Record<never, never>;

/** Extra check on a well-typed value: returns what was expected when the value is wrong. */
export type Validator<T> = (value: T) => string | undefined;

export function mismatch(ctx: ParseContext, key: string, expected: string, raw: unknown): typeof INVALID {
  ctx.report(key, `expected ${expected}, got ${describeValue(raw)}`);
  return INVALID;
}

export function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** The generic field: `convert` checks the TOML type, then `validate` the value. */
export function makeField<T>(
  type: FieldType,
  expected: string,
  convert: (raw: unknown, key: string, ctx: ParseContext) => Parsed<T>,
  opts: Common<unknown> & { validate?: Validator<T> },
  extra: Partial<Pick<Field<T>, 'schema' | 'optionalTable'>> = {},
): Field<T> {
  return {
    type,
    expected,
    doc: opts.doc ?? '',
    required: opts.required === true,
    hasDefault: opts.default !== undefined,
    defaultValue: opts.default,
    ...extra,
    parse(raw, key, ctx) {
      const v = convert(raw, key, ctx);
      if (v === INVALID || opts.validate === undefined) return v;
      const want = opts.validate(v);
      return want === undefined ? v : mismatch(ctx, key, want, raw);
    },
  };
}

export function string<const O extends Common<string> & { validate?: Validator<string> } = NoOpts>(
  opts?: O,
): Field<string | Presence<O>> {
  return makeField<string>(
    'string',
    'a string',
    (raw, key, ctx) => (typeof raw === 'string' ? raw : mismatch(ctx, key, 'a string', raw)),
    opts ?? {},
  ) as Field<string | Presence<O>>;
}

function rangeText(what: string, min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `${what} between ${min} and ${max}`;
  if (min !== undefined) return `${what} of at least ${min}`;
  if (max !== undefined) return `${what} of at most ${max}`;
  return what;
}

type NumberOpts = Common<number> & { min?: number; max?: number; validate?: Validator<number> };

function numeric(type: 'integer' | 'number', opts: NumberOpts): Field<number> {
  const expected = rangeText(type === 'integer' ? 'an integer' : 'a number', opts.min, opts.max);
  return makeField<number>(
    type,
    expected,
    (raw, key, ctx) => {
      const ok =
        typeof raw === 'number' && (type === 'integer' ? Number.isInteger(raw) : Number.isFinite(raw));
      if (!ok) return mismatch(ctx, key, expected, raw);
      if ((opts.min !== undefined && raw < opts.min) || (opts.max !== undefined && raw > opts.max)) {
        return mismatch(ctx, key, expected, raw);
      }
      return raw;
    },
    opts,
  );
}

export function integer<const O extends NumberOpts = NoOpts>(opts?: O): Field<number | Presence<O>> {
  return numeric('integer', opts ?? {}) as Field<number | Presence<O>>;
}

export function number<const O extends NumberOpts = NoOpts>(opts?: O): Field<number | Presence<O>> {
  return numeric('number', opts ?? {}) as Field<number | Presence<O>>;
}

export function boolean<const O extends Common<boolean> = NoOpts>(opts?: O): Field<boolean | Presence<O>> {
  return makeField<boolean>(
    'boolean',
    'true or false',
    (raw, key, ctx) => (typeof raw === 'boolean' ? raw : mismatch(ctx, key, 'true or false', raw)),
    opts ?? {},
  ) as Field<boolean | Presence<O>>;
}

/** A string from a fixed list. */
export function oneOf<const V extends readonly string[], const O extends Common<V[number]> = NoOpts>(
  values: V,
  opts?: O,
): Field<V[number] | Presence<O>> {
  const expected = 'one of ' + values.map((v) => JSON.stringify(v)).join(', ');
  return makeField<V[number]>(
    'string',
    expected,
    (raw, key, ctx) =>
      typeof raw === 'string' && values.includes(raw) ? raw : mismatch(ctx, key, expected, raw),
    opts ?? {},
  ) as Field<V[number] | Presence<O>>;
}

/** An array whose items are all `item` (the item's own default/required are ignored). */
export function array<T, const O extends Common<unknown[]> & { minItems?: number } = NoOpts>(
  item: Field<T>,
  opts?: O,
): Field<Exclude<T, undefined>[] | Presence<O>> {
  const o: Common<unknown[]> & { minItems?: number } = opts ?? {};
  const expected = `an array of ${item.expected}` + (o.minItems ? ` (at least ${o.minItems})` : '');
  return makeField<Exclude<T, undefined>[]>(
    'array',
    expected,
    (raw, key, ctx) => {
      if (!Array.isArray(raw) || raw.length < (o.minItems ?? 0)) return mismatch(ctx, key, expected, raw);
      const out: Exclude<T, undefined>[] = [];
      let bad = false;
      raw.forEach((v, i) => {
        const p = item.parse(v, `${key}[${i}]`, ctx);
        if (p === INVALID) bad = true;
        else out.push(p as Exclude<T, undefined>);
      });
      return bad ? INVALID : out;
    },
    o,
  ) as Field<Exclude<T, undefined>[] | Presence<O>>;
}

/** A nested table `[name]`. Absent means empty (defaults apply) unless `optional`, then undefined. */
export function table<S extends Schema, const O extends { doc?: string; optional?: boolean } = NoOpts>(
  schema: S,
  opts?: O,
): Field<ConfigOf<S> | (O extends { optional: true } ? undefined : never)> {
  return makeField<ConfigOf<S>>(
    'table',
    'a table',
    (raw, key, ctx) => parseTable(schema, raw, key, ctx),
    opts ?? {},
    {
      schema,
      optionalTable: opts?.optional === true,
    },
  ) as Field<ConfigOf<S> | (O extends { optional: true } ? undefined : never)>;
}

/** An array of tables `[[name]]`; absent means none unless required. */
export function tables<
  S extends Schema,
  const O extends { doc?: string; required?: boolean; minItems?: number } = NoOpts,
>(schema: S, opts?: O): Field<ConfigOf<S>[]> {
  const o: { doc?: string; required?: boolean; minItems?: number } = opts ?? {};
  const expected = 'an array of tables' + (o.minItems ? ` (at least ${o.minItems})` : '');
  return makeField<ConfigOf<S>[]>(
    'array',
    expected,
    (raw, key, ctx) => {
      if (!Array.isArray(raw) || raw.length < (o.minItems ?? 0)) return mismatch(ctx, key, expected, raw);
      const out: ConfigOf<S>[] = [];
      let bad = false;
      raw.forEach((v, i) => {
        const p = parseTable(schema, v, `${key}[${i}]`, ctx);
        if (p === INVALID) bad = true;
        else out.push(p);
      });
      return bad ? INVALID : out;
    },
    { doc: o.doc, required: o.required, default: o.required === true ? undefined : [] },
    { schema },
  );
}

export function joinKey(prefix: string, key: string): string {
  const k = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return prefix === '' ? k : `${prefix}.${k}`;
}

/** Checks a table against its schema: unknown keys, missing keys, defaults, each value. */
export function parseTable<S extends Schema>(
  schema: S,
  raw: unknown,
  prefix: string,
  ctx: ParseContext,
): Parsed<ConfigOf<S>> {
  if (!isTable(raw)) return mismatch(ctx, prefix, 'a table', raw);
  const known = Object.keys(schema);
  let bad = false;
  for (const k of Object.keys(raw)) {
    if (!Object.hasOwn(schema, k)) {
      ctx.report(joinKey(prefix, k), unknownKeyProblem(k, known));
      bad = true;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of known) {
    const field = schema[k] as Field<unknown>;
    const key = joinKey(prefix, k);
    const v = Object.hasOwn(raw, k) ? raw[k] : undefined;
    let parsed: unknown;
    if (v !== undefined) parsed = field.parse(v, key, ctx);
    else if (field.type === 'table' && !field.optionalTable) parsed = field.parse({}, key, ctx);
    else if (field.hasDefault) parsed = field.parse(field.defaultValue, key, ctx);
    else if (field.required) {
      ctx.report(key, 'is required but missing' + (field.doc === '' ? '' : ` (${field.doc})`));
      parsed = INVALID;
    }
    if (parsed === INVALID) bad = true;
    else out[k] = parsed;
  }
  return bad ? INVALID : (out as ConfigOf<S>);
}

export function unknownKeyProblem(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  if (near !== undefined) return `unknown key — did you mean \`${near}\`?`;
  return known.length === 0 ? 'unknown key' : `unknown key (known keys here: ${known.join(', ')})`;
}

/** The known name nearest to `word`, if near enough to be a likely typo or variant (`timeout_secs` → `timeout`). */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    const d = editDistance(w, kl);
    // One edit in three characters is still a typo; a name inside the other is a variant.
    const near = d <= Math.max(2, Math.floor(k.length / 3));
    const variant = Math.min(w.length, kl.length) >= 4 && (w.includes(kl) || kl.includes(w));
    if ((near || variant) && d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

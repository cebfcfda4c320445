// A flat listing of a schema's keys, for --help texts and commented example configs.
import { joinKey, type Schema } from './fields.js';

export interface KeyDoc {
  /** Dotted path; entries of arrays of tables read `upstreams[].port`. */
  key: string;
  expected: string;
  required: boolean;
  /** The default in TOML form, if any. */
  default?: unknown;
  doc: string;
}

export function describeSchema(schema: Schema, prefix = ''): KeyDoc[] {
  const out: KeyDoc[] = [];
  for (const [name, field] of Object.entries(schema)) {
    const key = joinKey(prefix, name);
    if (field.schema !== undefined) {
      const inner = field.type === 'table' ? key : `${key}[]`;
      out.push(...describeSchema(field.schema, inner));
      continue;
    }
    const d: KeyDoc = { key, expected: field.expected, required: field.required, doc: field.doc };
    if (field.hasDefault) d.default = field.defaultValue;
    out.push(d);
  }
  return out;
}

// Turns a message schema into its encoder and decoder, once, at module load.
//
// The field list is known before any message is seen, so instead of walking
// the schema on every call we generate one small function per message whose
// body names each field directly (`t0.read(r, w0)` into an object literal of
// fixed shape). V8 then sees monomorphic property accesses and calls, which is
// what keeps SubmitSharesExtended and job messages cheap. The generated text
// is built only from schema field names, which are checked to be plain
// identifiers, and indexes into the type list; no input data ever reaches it.
import type { Reader } from '../codec/reader.js';
import type { DataType } from '../codec/types.js';
import type { Writer } from '../codec/writer.js';
import type { MessageSchema } from './schema.js';

export interface CompiledFields {
  /** Validates every field of `m` and returns the encoded size of the fields (no TLVs). */
  size(m: object): number;
  /** Writes the fields of a message that `size` accepted. */
  write(w: Writer, m: object): void;
  /** Reads the fields into a new `{ type, ...fields }` object. */
  read(r: Reader): Record<string, unknown>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function compileFields(schema: MessageSchema): CompiledFields {
  const names = Object.keys(schema.fields);
  const types: DataType<unknown>[] = names.map((n) => schema.fields[n]!);
  const whats = names.map((n) => `${schema.name}.${n}`);
  for (const n of [schema.name, ...names]) {
    if (!IDENTIFIER.test(n)) throw new Error(`schema ${schema.name}: "${n}" is not a plain identifier`);
  }
  types.forEach((t, i) => {
    if (t.kind === 'BYTES' && i !== types.length - 1) {
      throw new Error(`schema ${schema.name}: BYTES must be the last field`);
    }
  });

  const locals = names.map((_, i) => `const t${i} = t[${i}], w${i} = w[${i}];`).join('\n');
  const size = names.length ? names.map((n, i) => `t${i}.size(m.${n}, w${i})`).join(' + ') : '0';
  const write = names.map((n, i) => `t${i}.write(wr, m.${n});`).join('\n');
  const read = [
    `type: ${JSON.stringify(schema.name)}`,
    ...names.map((n, i) => `${n}: t${i}.read(r, w${i})`),
  ].join(',\n');
  const body = `${locals}
return {
  size(m) { return ${size}; },
  write(wr, m) { ${write} },
  read(r) { return { ${read} }; },
};`;
  const factory = new Function('t', 'w', body) as (t: DataType<unknown>[], w: string[]) => CompiledFields;
  return factory(types, whats);
}

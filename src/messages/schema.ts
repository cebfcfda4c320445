// A message is declared once, as data: its spec name, where it lives on the
// wire (extension_type, msg_type, channel_msg bit) and its ordered fields with
// their SV2 data types. TLV fields that extensions append to it are declared
// the same way. The TypeScript type of the message and its encoder/decoder are
// both derived from this declaration.
import type { DataType, ValueOf } from '../codec/types.js';
import type { TlvValueType } from './tlv-values.js';

export type Protocol =
  'common' | 'mining' | 'job-declaration' | 'template-distribution' | 'extensions-negotiation';

export type Fields = Record<string, DataType<unknown>>;
export type TlvFields = Record<string, TlvFieldDef<unknown>>;

/** A field appended as TLV by an extension (spec 3.4.3). */
export interface TlvFieldDef<T> {
  readonly extension_type: number;
  readonly field_type: number;
  readonly value: TlvValueType<T>;
}

export interface MessageSchema<
  N extends string = string,
  F extends Fields = Fields,
  X extends TlvFields = TlvFields,
> {
  /** The spec name without dots, unique across protocols; the `type` of decoded messages. */
  readonly name: N;
  /** The name as the spec writes it, e.g. "SetupConnection.Success". */
  readonly spec_name: string;
  readonly protocol: Protocol;
  /** Extension that defines the message (0 for the core protocols), without the channel_msg bit. */
  readonly extension_type: number;
  readonly msg_type: number;
  /** Value of the channel_msg bit in frames carrying this message (spec section 8). */
  readonly channel_msg: boolean;
  /** Fields in wire order, named as the spec names them. */
  readonly fields: F;
  /** TLV fields extensions may append, in the order the extensions define them. */
  readonly tlv_fields: X;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The decoded/encodable JS shape of a schema: `{ type: name, ...fields, ...optional TLV fields }`. */
export type MessageOf<S> =
  S extends MessageSchema<infer N, infer F, infer X>
    ? Simplify<
        { type: N } & { -readonly [K in keyof F]: ValueOf<F[K]> } & {
          -readonly [K in keyof X]?: X[K] extends TlvFieldDef<infer T> ? T : never;
        }
      >
    : never;

export function tlvField<T>(
  extension_type: number,
  field_type: number,
  value: TlvValueType<T>,
): TlvFieldDef<T> {
  return { extension_type, field_type, value };
}

export function defineMessage<
  const N extends string,
  const F extends Fields,
  const X extends TlvFields = Record<never, never>,
>(def: {
  name: N;
  spec_name: string;
  protocol: Protocol;
  extension_type?: number;
  msg_type: number;
  channel_msg: boolean;
  fields: F;
  tlv_fields?: X;
}): MessageSchema<N, F, X> {
  return Object.freeze({
    name: def.name,
    spec_name: def.spec_name,
    protocol: def.protocol,
    extension_type: def.extension_type ?? 0,
    msg_type: def.msg_type,
    channel_msg: def.channel_msg,
    fields: def.fields,
    tlv_fields: (def.tlv_fields ?? {}) as X,
  });
}

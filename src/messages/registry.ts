// Every message this codebase knows, compiled once, and found by name (to
// encode) or by (extension_type, msg_type) (to decode).
import { compileFields, type CompiledFields } from './compile.js';
import { COMMON_MESSAGES } from './common.js';
import { EXTENSION_MESSAGES } from './extensions.js';
import { JOB_DECLARATION_MESSAGES } from './job-declaration.js';
import { MINING_MESSAGES } from './mining.js';
import type { MessageOf, MessageSchema, TlvFieldDef } from './schema.js';
import { TEMPLATE_DISTRIBUTION_MESSAGES } from './template-distribution.js';

export const ALL_MESSAGES = [
  ...COMMON_MESSAGES,
  ...MINING_MESSAGES,
  ...JOB_DECLARATION_MESSAGES,
  ...TEMPLATE_DISTRIBUTION_MESSAGES,
  ...EXTENSION_MESSAGES,
] as const;

export type AnyMessageSchema = (typeof ALL_MESSAGES)[number];
/** Discriminated union of every message, on `type`. */
export type Message = MessageOf<AnyMessageSchema>;
export type MessageName = Message['type'];
export type MessageByName<N extends MessageName> = Extract<Message, { type: N }>;

export interface RegistryEntry {
  readonly schema: MessageSchema;
  readonly compiled: CompiledFields;
  /** TLV fields as [property name, definition], in declaration order. */
  readonly tlv: ReadonlyArray<readonly [string, TlvFieldDef<unknown>]>;
}

const byName = new Map<string, RegistryEntry>();
const byWireType = new Map<number, RegistryEntry>();

export function wireKey(extension_type: number, msg_type: number): number {
  return extension_type * 256 + msg_type;
}

for (const schema of ALL_MESSAGES as readonly MessageSchema[]) {
  if ('type' in schema.fields) throw new Error(`schema ${schema.name}: "type" is reserved`);
  const entry: RegistryEntry = {
    schema,
    compiled: compileFields(schema),
    tlv: Object.entries(schema.tlv_fields),
  };
  const key = wireKey(schema.extension_type, schema.msg_type);
  if (byName.has(schema.name) || byWireType.has(key)) throw new Error(`duplicate message ${schema.name}`);
  byName.set(schema.name, entry);
  byWireType.set(key, entry);
}

/** Message types by name, e.g. MSG_TYPE.SubmitSharesExtended === 0x1b. */
export const MSG_TYPE = Object.freeze(
  Object.fromEntries(ALL_MESSAGES.map((s) => [s.name, s.msg_type])),
) as Readonly<Record<MessageName, number>>;

export function schemaByName(name: string): RegistryEntry | undefined {
  return byName.get(name);
}

export function schemaByWireType(extension_type: number, msg_type: number): RegistryEntry | undefined {
  return byWireType.get(wireKey(extension_type, msg_type));
}

/** Extension types that define messages here (0 = core). */
export const KNOWN_MESSAGE_EXTENSIONS: ReadonlySet<number> = new Set(
  ALL_MESSAGES.map((s) => s.extension_type),
);

// TOML configuration for the roles: schema fields, value kinds, loading.
export { loadConfig, parseConfig, OVERRIDE_SOURCE } from './load.js';
export type { Overrides, ParseConfigOptions } from './load.js';
export { ConfigError, formatIssue } from './errors.js';
export type { ConfigIssue } from './errors.js';
export {
  string,
  integer,
  number,
  boolean,
  oneOf,
  array,
  table,
  tables,
  makeField,
  closest,
} from './fields.js';
export type { Field, FieldType, Schema, ConfigOf, Validator, Common } from './fields.js';
export {
  socketAddress,
  network,
  path,
  seconds,
  url,
  parseSocketAddress,
  formatSocketAddress,
  parseDuration,
} from './kinds.js';
export type { SocketAddress } from './kinds.js';
export { describeSchema } from './describe.js';
export type { KeyDoc } from './describe.js';

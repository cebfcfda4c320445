// The JSON-RPC envelope as SV1 firmware expects it. Request ids are echoed
// as their original JSON text (numbers stay numbers with every digit, strings
// stay strings); successful replies always carry "error": null (older
// ESP-Miner cannot parse a reply without it); notifications carry "id": null
// and no error member (NerdMiner reads any error member as a failure).
import { rawTopLevelMember } from './raw-member.js';
import { ERR_OTHER, type Sv1Reject } from './errors.js';

/** An id as JSON text, ready to be pasted into a reply. */
export type RawId = string;

export const NULL_ID: RawId = 'null';

export type Inbound =
  | { kind: 'request'; id: RawId; method: string; params: unknown[] }
  /** An answer to one of our requests (mining.ping), in cgminer or ESP-Miner shape. */
  | { kind: 'response'; id: RawId }
  /** Not a request we can act on. `close` for anything that is not even a JSON object. */
  | { kind: 'invalid'; id: RawId; reject: Sv1Reject; close: boolean };

function rawId(line: string, id: unknown): RawId {
  if (id === undefined || id === null) return NULL_ID;
  if (typeof id === 'string') return JSON.stringify(id);
  if (typeof id === 'number') {
    if (Number.isSafeInteger(id)) return String(id);
    // Big or fractional numbers: the digits as sent (JSON.stringify would round or turn 1e400 into null).
    return rawTopLevelMember(line, 'id') ?? NULL_ID;
  }
  // Objects, arrays and booleans are not ids; answering with null is the safe choice.
  return NULL_ID;
}

/** Classifies one line; never throws. */
export function parseInbound(line: string): Inbound {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return {
      kind: 'invalid',
      id: NULL_ID,
      reject: { code: ERR_OTHER, message: 'Invalid JSON' },
      close: true,
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      kind: 'invalid',
      id: NULL_ID,
      reject: { code: ERR_OTHER, message: 'Invalid request' },
      close: true,
    };
  }
  const msg = value as Record<string, unknown>;
  const id = rawId(line, msg.id);
  const method = msg.method;
  if (typeof method !== 'string') {
    // No method: a reply to our own request. Anything with result/error counts.
    if (method === undefined && ('result' in msg || 'error' in msg)) return { kind: 'response', id };
    return { kind: 'invalid', id, reject: { code: ERR_OTHER, message: 'Invalid request' }, close: false };
  }
  // ESP-Miner answers mining.ping with a "pong" method instead of a result.
  if (method === 'pong') return { kind: 'response', id };
  const params = msg.params;
  if (params === undefined || params === null) return { kind: 'request', id, method, params: [] };
  if (!Array.isArray(params)) {
    return { kind: 'invalid', id, reject: { code: ERR_OTHER, message: 'Invalid params' }, close: false };
  }
  return { kind: 'request', id, method, params };
}

export function resultLine(id: RawId, result: unknown): string {
  return `{"id":${id},"result":${JSON.stringify(result)},"error":null}`;
}

/** A refused request: result null and an error triple. */
export function errorLine(id: RawId, reject: Sv1Reject): string {
  return `{"id":${id},"result":null,"error":${JSON.stringify([reject.code, reject.message, null])}}`;
}

/**
 * A refused share or authorization, readable by every firmware: result false,
 * an error triple (NerdMiner counts replies with a null error as accepted)
 * and a ckpool-style reject-reason.
 */
export function rejectLine(id: RawId, reject: Sv1Reject): string {
  const error = JSON.stringify([reject.code, reject.message, null]);
  return `{"id":${id},"result":false,"error":${error},"reject-reason":${JSON.stringify(reject.message)}}`;
}

export function notificationLine(method: string, params: unknown[]): string {
  return `{"id":null,"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

/** A server request that expects an answer: numeric id (ESP-Miner cannot echo anything else). */
export function serverRequestLine(id: number, method: string, params: unknown[]): string {
  return `{"id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

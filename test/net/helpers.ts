// Shared pieces of the network tests: a recording logger, frame builders and a
// bounded wait for a condition (no wall-clock assertions).
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import type { Logger } from '../../src/net/logger.js';

export interface Record {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  obj: { [k: string]: unknown };
}

export function recordingLogger(): Logger & { records: Record[]; has(level: string, re: RegExp): boolean } {
  const records: Record[] = [];
  const add = (level: Record['level']) => (obj: object, msg: string) =>
    records.push({ level, msg, obj: obj as Record['obj'] });
  return {
    records,
    debug: add('debug'),
    info: add('info'),
    warn: add('warn'),
    error: add('error'),
    has: (level, re) =>
      records.some((r) => r.level === level && re.test(`${r.msg} ${String(r.obj.reason ?? '')}`)),
  };
}

export function makeFrame(length: number, msg_type = 0x1f, seed = 0): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + length);
  encodeFrameHeader({ extension_type: 0, channel_msg: false, msg_type, msg_length: length }, out);
  for (let i = 0; i < length; i++) out[FRAME_HEADER_SIZE + i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Waits (bounded) until `cond` holds; throws with `what` if it never does. */
export async function until(cond: () => boolean, what: string, rounds = 1000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await sleep(10);
  }
  throw new Error(`gave up waiting for: ${what}`);
}

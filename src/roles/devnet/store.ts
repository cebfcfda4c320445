// The devnet's blocks file: every accepted block (and every invalidateblock /
// reconsiderblock) appended as a framed record, replayed at start. A record
// is magic(4) | type(1) | length(u32 LE) | payload | first 4 bytes of SHA256d(payload).
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { equalBytes, sha256d } from '../../bitcoin/index.js';

/** Regtest network magic, so a stray file is recognised as foreign at once. */
const MAGIC = Buffer.from('fabfb5da', 'hex');
const HEAD = 9;
const MAX_RECORD = 8_000_000;

export const RECORD_BLOCK = 1;
export const RECORD_INVALIDATE = 2;
export const RECORD_RECONSIDER = 3;

export interface StoredRecord {
  offset: number;
  type: number;
  payload: Buffer;
}

export interface ReadResult {
  records: StoredRecord[];
  /** Offset of the first unreadable byte when the file has a damaged tail. */
  damagedAt?: number;
  size: number;
}

export class BlockStore {
  readonly file: string;
  private fd: number | null = null;

  constructor(readonly dir: string) {
    this.file = join(dir, 'blocks.dat');
  }

  /** Reads every well-framed record; stops at the first damaged one. */
  read(): ReadResult {
    if (!existsSync(this.file)) return { records: [], size: 0 };
    const buf = readFileSync(this.file);
    const records: StoredRecord[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (buf.length - pos < HEAD || !buf.subarray(pos, pos + 4).equals(MAGIC)) break;
      const type = buf[pos + 4]!;
      const len = buf.readUInt32LE(pos + 5);
      if (len > MAX_RECORD || buf.length - pos < HEAD + len + 4) break;
      const payload = buf.subarray(pos + HEAD, pos + HEAD + len);
      const check = buf.subarray(pos + HEAD + len, pos + HEAD + len + 4);
      if (!equalBytes(sha256d(payload).subarray(0, 4), check)) break;
      records.push({ offset: pos, type, payload: Buffer.from(payload) });
      pos += HEAD + len + 4;
    }
    return pos < buf.length ? { records, damagedAt: pos, size: buf.length } : { records, size: buf.length };
  }

  /** Bytes on disk (getblockchaininfo size_on_disk). */
  size(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  /** Cuts the file at `offset` (drops a damaged or invalid tail). */
  truncate(offset: number): void {
    this.close();
    truncateSync(this.file, offset);
  }

  append(type: number, payload: Uint8Array): void {
    if (this.fd === null) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    const head = Buffer.alloc(HEAD);
    MAGIC.copy(head, 0);
    head[4] = type;
    head.writeUInt32LE(payload.length, 5);
    writeSync(this.fd, Buffer.concat([head, payload, sha256d(payload).subarray(0, 4)]));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

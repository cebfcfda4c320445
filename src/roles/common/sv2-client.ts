// The client half every SV2 role repeats: connect (Noise pinned to the
// server's authority key, or plain), SetupConnection for one protocol and
// its answer, then every later message to a handler until the connection
// ends. The handler runs synchronously per message; a message that does not
// decode closes the connection when the codec says so.
import { connectFramed, type ClientSecurity } from '../../net/client.js';
import type { FramedConnection } from '../../net/connection.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../messages/index.js';

export interface Sv2ClientOptions {
  host: string;
  port: number;
  security: ClientSecurity;
  /** SetupConnection.protocol (PROTOCOL.*). */
  protocol: number;
  flags: number;
  vendor?: string;
  firmware?: string;
  /** Longest wait for SetupConnection's answer (default 10 s). */
  setupTimeoutMs?: number;
  logger?: Logger;
}

export type SetupSuccess = MessageByName<'SetupConnectionSuccess'>;

/** A connection whose SetupConnection succeeded. */
export interface Sv2Client {
  conn: FramedConnection;
  setup: SetupSuccess;
  /** Encodes and sends; false when the message could not be encoded (logged) or the connection is gone. */
  send(m: Message): boolean;
  /**
   * Hands every further message to `onMessage` until the connection ends;
   * resolves with the reason it ended.
   */
  run(onMessage: (m: Message) => void): Promise<string>;
}

/** Connects and runs SetupConnection; throws with the reason when either fails. */
export async function connectSv2(o: Sv2ClientOptions): Promise<Sv2Client> {
  const log = o.logger ?? silentLogger;
  const conn = await connectFramed({ host: o.host, port: o.port, security: o.security, logger: log });
  const send = (m: Message): boolean => {
    if (conn.isClosed) return false;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(m);
    } catch (err) {
      log.error({ message: m.type, err: String(err) }, 'cannot encode message');
      return false;
    }
    // Backpressure is the socket's; a lost connection is reported by run().
    conn.send(frame).catch(() => {});
    return true;
  };
  let setup: SetupSuccess;
  try {
    send({
      type: 'SetupConnection',
      protocol: o.protocol,
      min_version: PROTOCOL_VERSION,
      max_version: PROTOCOL_VERSION,
      flags: o.flags,
      endpoint_host: o.host,
      endpoint_port: o.port,
      vendor: o.vendor ?? 'Strata',
      hardware_version: '',
      firmware: o.firmware ?? '',
      device_id: '',
    });
    const ms = o.setupTimeoutMs ?? 10_000;
    const timer = setTimeout(() => conn.abort(`no answer to SetupConnection within ${ms} ms`), ms);
    let frame;
    try {
      frame = await conn.receive();
    } finally {
      clearTimeout(timer);
    }
    if (frame === undefined) {
      throw new Error(`connection closed during setup: ${conn.closeInfo?.reason ?? 'unknown'}`);
    }
    const r = decodePayload(frame.header, frame.payload);
    if (!r.ok) throw new Error(`bad answer to SetupConnection: ${r.error.message}`);
    const m = r.message;
    if (m.type === 'SetupConnectionError') throw new Error(`SetupConnection refused: ${m.error_code}`);
    if (m.type !== 'SetupConnectionSuccess')
      throw new Error(`expected SetupConnection.Success, got ${m.type}`);
    setup = m;
  } catch (err) {
    conn.abort(err instanceof Error ? err.message : String(err));
    throw err;
  }
  return {
    conn,
    setup,
    send,
    async run(onMessage) {
      try {
        for await (const frame of conn) {
          const r = decodePayload(frame.header, frame.payload);
          if (!r.ok) {
            if (r.disposition === 'reject') {
              conn.abort(`bad message from the server: ${r.error.message}`);
              break;
            }
            continue;
          }
          onMessage(r.message);
        }
      } catch (err) {
        log.error({ err: String(err) }, 'connection loop failed');
        conn.abort('internal error');
      }
      return conn.closeInfo?.reason ?? 'connection closed';
    },
  };
}

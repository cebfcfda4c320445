// Template Distribution Protocol client (spec 7), shared by the pool, the JDC
// and the tests: connects (Noise pinned to the TP's authority key, or plain
// when configured), runs SetupConnection for protocol 2 and sends
// CoinbaseOutputConstraints, then reports NewTemplate and SetNewPrevHash as
// events. A lost connection is retried with backoff until close().
import { EventEmitter } from 'node:events';
import { connectFramed, type ClientSecurity } from '../../net/client.js';
import type { FramedConnection } from '../../net/connection.js';
import { type Logger, silentLogger } from '../../net/logger.js';
import {
  PROTOCOL,
  PROTOCOL_VERSION,
  decodePayload,
  encodeFrame,
  type Message,
  type MessageByName,
} from '../../messages/index.js';

export type NewTemplateMsg = MessageByName<'NewTemplate'>;
export type SetNewPrevHashTdpMsg = MessageByName<'SetNewPrevHashTdp'>;
export type SubmitSolutionMsg = MessageByName<'SubmitSolution'>;
export type SetupConnectionMsg = MessageByName<'SetupConnection'>;
export type SetupConnectionErrorMsg = MessageByName<'SetupConnectionError'>;
export type TransactionDataReply =
  MessageByName<'RequestTransactionDataSuccess'> | MessageByName<'RequestTransactionDataError'>;

export interface CoinbaseConstraints {
  coinbase_output_max_additional_size: number;
  coinbase_output_max_additional_sigops: number;
}

export interface TdpClientOptions {
  host: string;
  port: number;
  security: ClientSecurity;
  constraints: CoinbaseConstraints;
  /** SetupConnection fields to send instead of the defaults (device information, or a probe). */
  setup?: Partial<Omit<SetupConnectionMsg, 'type'>>;
  /** Reconnect after a loss; false = one connection only. */
  reconnect?: false | { initialDelayMs?: number; maxDelayMs?: number };
  /** Longest wait for SetupConnection's answer. Default 10 s. */
  setupTimeoutMs?: number;
  logger?: Logger;
}

export interface TdpClientEvents {
  /** Setup succeeded and the constraints were sent. */
  connected: [info: { used_version: number; flags: number }];
  /** The connection ended; a reconnect follows unless closed or refused. */
  disconnected: [info: { reason: string }];
  /** The server refused SetupConnection; the client stops (no reconnect). */
  'setup-error': [error: SetupConnectionErrorMsg];
  template: [msg: NewTemplateMsg];
  prevhash: [msg: SetNewPrevHashTdpMsg];
}

export class TdpClientClosedError extends Error {
  override readonly name = 'TdpClientClosedError';
}

const DEFAULT_INITIAL_DELAY_MS = 250;
const DEFAULT_MAX_DELAY_MS = 10_000;

export class TdpClient extends EventEmitter<TdpClientEvents> {
  readonly #opts: TdpClientOptions;
  readonly #log: Logger;
  #conn: FramedConnection | undefined;
  #ready = false;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #pending = new Map<bigint, ((reply: TransactionDataReply) => void)[]>();
  readonly #pendingReject = new Set<(err: Error) => void>();
  #loop: Promise<void> | undefined;
  /** Failed attempts since the last successful setup. */
  #failures = 0;

  constructor(opts: TdpClientOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Whether setup completed on the current connection. */
  get connected(): boolean {
    return this.#ready && this.#conn !== undefined && !this.#conn.isClosed;
  }

  /** Starts connecting; events report progress. Calling it twice has no effect. */
  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Resolves at the next 'connected' (at once if connected). */
  waitConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnected = () => {
        this.off('setup-error', onRefused);
        resolve();
      };
      const onRefused = (e: SetupConnectionErrorMsg) => {
        this.off('connected', onConnected);
        reject(new Error(`template provider refused the connection: ${e.error_code}`));
      };
      this.once('connected', onConnected);
      this.once('setup-error', onRefused);
    });
  }

  async sendSubmitSolution(msg: Omit<SubmitSolutionMsg, 'type'>): Promise<void> {
    await this.#send(encodeFrame({ type: 'SubmitSolution', ...msg }));
  }

  /** Sends CoinbaseOutputConstraints again with new values (they also apply to later reconnects). */
  async updateConstraints(constraints: CoinbaseConstraints): Promise<void> {
    this.#opts.constraints = constraints;
    await this.#send(encodeFrame({ type: 'CoinbaseOutputConstraints', ...constraints }));
  }

  /** Asks for a template's transactions; resolves with the Success or the Error message. */
  requestTransactionData(template_id: bigint): Promise<TransactionDataReply> {
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(template_id) ?? [];
      const fail = (err: Error) => {
        this.#pendingReject.delete(fail);
        reject(err);
      };
      waiters.push((reply) => {
        this.#pendingReject.delete(fail);
        resolve(reply);
      });
      this.#pending.set(template_id, waiters);
      this.#pendingReject.add(fail);
      this.#send(encodeFrame({ type: 'RequestTransactionData', template_id })).catch((err: unknown) =>
        fail(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#conn?.close('client closing');
    this.#wake?.();
    await this.#loop;
  }

  async #send(frame: Uint8Array): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined || !this.#ready || conn.isClosed) {
      throw new TdpClientClosedError('not connected to the template provider');
    }
    await conn.send(frame);
  }

  async #run(): Promise<void> {
    const policy = this.#opts.reconnect;
    const initial = policy === false ? 0 : (policy?.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS);
    const max = policy === false ? 0 : (policy?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    let delay = initial;
    while (!this.#closed) {
      let reason: string;
      try {
        const setUp = await this.#session();
        if (setUp) {
          delay = initial;
          this.#failures = 0;
        }
        reason = this.#conn?.closeInfo?.reason ?? 'connection closed';
      } catch (err) {
        reason = err instanceof Error ? err.message : String(err);
      }
      const wasReady = this.#ready;
      this.#ready = false;
      this.#conn = undefined;
      this.#failPending(new TdpClientClosedError(`template provider connection lost: ${reason}`));
      if (wasReady) this.emit('disconnected', { reason });
      if (this.#closed || policy === false) break;
      // One line per outage; the attempts after it stay quiet.
      if (this.#failures++ === 0) {
        this.#log.warn(
          { host: this.#opts.host, port: this.#opts.port, reason },
          'template provider unreachable; retrying with backoff',
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      delay = Math.min(max, delay * 2);
    }
  }

  /** One connection from connect to close; returns whether setup completed. */
  async #session(): Promise<boolean> {
    const o = this.#opts;
    const conn = await connectFramed({
      host: o.host,
      port: o.port,
      security: o.security,
      logger: this.#failures === 0 ? this.#log : silentLogger,
    });
    if (this.#closed) {
      conn.close('client closing');
      return false;
    }
    this.#conn = conn;
    await conn.send(
      encodeFrame({
        type: 'SetupConnection',
        protocol: PROTOCOL.TEMPLATE_DISTRIBUTION,
        min_version: PROTOCOL_VERSION,
        max_version: PROTOCOL_VERSION,
        flags: 0,
        endpoint_host: o.host,
        endpoint_port: o.port,
        vendor: 'Strata',
        hardware_version: '',
        firmware: '',
        device_id: '',
        ...o.setup,
      }),
    );
    const timeoutMs = o.setupTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () => conn.abort(`no answer to SetupConnection within ${timeoutMs} ms`),
      timeoutMs,
    );
    let first;
    try {
      first = await conn.receive();
    } finally {
      clearTimeout(timer);
    }
    if (first === undefined) return false;
    const answer = decodePayload(first.header, first.payload);
    if (!answer.ok) {
      conn.abort(`bad answer to SetupConnection: ${answer.error.message}`);
      return false;
    }
    const m = answer.message;
    if (m.type === 'SetupConnectionError') {
      this.#log.error(
        { error_code: m.error_code, flags: m.flags },
        'template provider refused SetupConnection',
      );
      this.#closed = true;
      conn.close('setup refused');
      this.emit('setup-error', m);
      return false;
    }
    if (m.type !== 'SetupConnectionSuccess') {
      conn.abort(`expected SetupConnection.Success, got ${m.type}`);
      return false;
    }
    await conn.send(encodeFrame({ type: 'CoinbaseOutputConstraints', ...o.constraints }));
    this.#ready = true;
    this.#log.info(
      { host: o.host, port: o.port, used_version: m.used_version },
      'template provider connected',
    );
    this.emit('connected', { used_version: m.used_version, flags: m.flags });
    for await (const frame of conn) {
      const r = decodePayload(frame.header, frame.payload);
      if (!r.ok) {
        if (r.disposition === 'reject') {
          conn.abort(`bad message from template provider: ${r.error.message}`);
          break;
        }
        continue;
      }
      this.#dispatch(r.message);
    }
    return true;
  }

  #dispatch(m: Message): void {
    switch (m.type) {
      case 'NewTemplate':
        this.emit('template', m);
        return;
      case 'SetNewPrevHashTdp':
        this.emit('prevhash', m);
        return;
      case 'RequestTransactionDataSuccess':
      case 'RequestTransactionDataError': {
        const waiters = this.#pending.get(m.template_id);
        const next = waiters?.shift();
        if (waiters !== undefined && waiters.length === 0) this.#pending.delete(m.template_id);
        if (next === undefined) {
          this.#log.warn({ template_id: String(m.template_id) }, 'unrequested transaction data ignored');
          return;
        }
        next(m);
        return;
      }
      default:
        this.#log.warn({ message: m.type }, 'unexpected message from template provider ignored');
    }
  }

  #failPending(err: Error): void {
    this.#pending.clear();
    for (const reject of [...this.#pendingReject]) reject(err);
  }
}

// A framed SV2 connection over one TCP socket, encrypted or plain: send()
// plaintext frames, iterate received frames, learn why it closed. Both
// directions apply backpressure: send() resolves only once the socket accepts
// more, and reading pauses while the consumer lags behind.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Frame } from '../noise/transport.js';
import { type Logger, silentLogger } from './logger.js';

export type { Frame } from '../noise/transport.js';

/** Turns plaintext frames into wire bytes and wire bytes back into frames. */
export interface FrameCodec {
  readonly kind: 'noise' | 'plain';
  encode(frame: Uint8Array): Uint8Array;
  /** Throws on any decode or authentication error; the connection then closes. */
  decode(chunk: Uint8Array): Frame[];
}

export interface CloseInfo {
  reason: string;
  /** Set when the connection ended because something went wrong. */
  error?: Error;
}

export interface ConnectionOptions {
  logger?: Logger;
  /** Received frames buffered before the socket is paused. */
  highWaterFrames?: number;
  /** Bytes that arrived together with the end of the handshake. */
  initial?: Uint8Array;
  /** Extra fields for every log line of this connection. */
  logContext?: object;
}

const DEFAULT_HIGH_WATER = 64;

export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

export class FramedConnection extends EventEmitter implements AsyncIterable<Frame> {
  readonly #socket: Socket;
  readonly #codec: FrameCodec;
  readonly #log: Logger;
  readonly #ctx: object;
  readonly #highWater: number;
  readonly #queue: Frame[] = [];
  #waiting: ((r: IteratorResult<Frame>) => void) | undefined;
  #drain: Promise<void> | undefined;
  #paused = false;
  #corked = false;
  #close: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;

  constructor(socket: Socket, codec: FrameCodec, opts: ConnectionOptions = {}) {
    super();
    this.#socket = socket;
    this.#codec = codec;
    this.#log = opts.logger ?? silentLogger;
    this.#highWater = Math.max(1, opts.highWaterFrames ?? DEFAULT_HIGH_WATER);
    this.#ctx = {
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      transport: codec.kind,
      ...opts.logContext,
    };
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#finish({ reason: 'peer closed the connection' }));
    socket.on('error', (err) => this.#finish({ reason: `socket error: ${err.message}`, error: err }));
    socket.on('close', () => this.#finish({ reason: 'socket closed' }));
    const initial = opts.initial;
    // Deferred so whoever constructs the connection can attach listeners first,
    // even if these early bytes are bad and close it straight away.
    if (initial !== undefined && initial.length > 0) queueMicrotask(() => this.#onData(initial));
  }

  get kind(): 'noise' | 'plain' {
    return this.#codec.kind;
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  get isClosed(): boolean {
    return this.#close !== undefined;
  }

  /** True while reading is paused because received frames are not being consumed. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Received frames waiting for the consumer. */
  get queuedFrames(): number {
    return this.#queue.length;
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#close;
  }

  /**
   * Sends one plaintext frame (header ‖ payload). Resolves at once while the
   * socket keeps up, otherwise after 'drain'; rejects once closed.
   */
  send(frame: Uint8Array): Promise<void> {
    if (this.#close)
      return Promise.reject(new ConnectionClosedError(`connection closed: ${this.#close.reason}`));
    let wire: Uint8Array;
    try {
      wire = this.#codec.encode(frame);
    } catch (err) {
      return Promise.reject(err);
    }
    // Frames sent in the same tick leave in one write: the socket is corked
    // at the first and uncorked once the current task is done.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    if (this.#socket.write(wire)) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        this.#socket.off('drain', onDrain);
        this.off('close', onClose);
        this.#drain = undefined;
      };
      const onDrain = () => {
        done();
        resolve();
      };
      const onClose = (info: CloseInfo) => {
        done();
        reject(new ConnectionClosedError(`connection closed: ${info.reason}`));
      };
      this.#socket.on('drain', onDrain);
      this.on('close', onClose);
    });
    return this.#drain;
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Closes after flushing what was sent; `reason` is logged and reported. */
  close(reason = 'closed locally'): void {
    if (this.#close) return;
    this.#finish({ reason });
    this.#socket.end();
    // A peer that never acknowledges the FIN must not hold the socket open.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  /** Closes at once because of an error; `reason` is logged as a warning. */
  abort(reason: string, error?: Error): void {
    if (this.#close) return;
    this.#finish({ reason, error: error ?? new Error(reason) });
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#close) return;
    let frames: Frame[];
    try {
      frames = this.#codec.decode(chunk);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.abort(`bad data from peer: ${error.message}`, error);
      return;
    }
    for (const frame of frames) {
      const waiter = this.#waiting;
      if (waiter) {
        this.#waiting = undefined;
        waiter({ value: frame, done: false });
      } else {
        this.#queue.push(frame);
      }
    }
    if (this.#queue.length >= this.#highWater && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#close) return;
    this.#close = info;
    const fields = { ...this.#ctx, reason: info.reason };
    if (info.error) this.#log.warn(fields, 'connection closed');
    else this.#log.info(fields, 'connection closed');
    if (!this.#socket.destroyed && info.error) this.#socket.destroy();
    const waiter = this.#waiting;
    this.#waiting = undefined;
    waiter?.({ value: undefined, done: true });
    this.#resolveClosed(info);
    this.emit('close', info);
  }

  /** Next received frame, or undefined once the connection has closed and the queue is empty. */
  async receive(): Promise<Frame | undefined> {
    const r = await this.#next();
    return r.done ? undefined : r.value;
  }

  #next(): Promise<IteratorResult<Frame>> {
    const frame = this.#queue.shift();
    if (frame !== undefined) {
      if (this.#paused && this.#queue.length <= this.#highWater >> 1 && !this.#close) {
        this.#paused = false;
        this.#socket.resume();
      }
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.#close) return Promise.resolve({ value: undefined, done: true });
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return {
      next: () => this.#next(),
      return: async () => {
        this.close('receiver stopped');
        return { value: undefined, done: true };
      },
    };
  }
}

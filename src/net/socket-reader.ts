// Reads exact byte counts from a socket during the unframed handshake, then
// hands any bytes that arrived early to the framed connection.
import type { Socket } from 'node:net';
import { ByteQueue } from '../noise/byte-queue.js';

export class SocketReader {
  readonly #socket: Socket;
  readonly #queue = new ByteQueue();
  #want = 0;
  #resolve: ((b: Uint8Array) => void) | undefined;
  #reject: ((e: Error) => void) | undefined;
  #ended: Error | undefined;
  #received = 0;
  readonly #onData = (chunk: Buffer) => {
    this.#received += chunk.length;
    this.#queue.push(chunk);
    this.#settle();
  };
  readonly #onEnd = () => this.#fail(new Error('peer closed the connection during the handshake'));
  readonly #onError = (err: Error) =>
    this.#fail(new Error(`socket error during the handshake: ${err.message}`));

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  read(n: number): Promise<Uint8Array> {
    if (this.#ended) return Promise.reject(this.#ended);
    this.#want = n;
    const p = new Promise<Uint8Array>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#settle();
    return p;
  }

  /** Bytes the peer has sent so far. */
  get received(): number {
    return this.#received;
  }

  /** Why reading stopped (timer, peer closed, socket error), if it did. */
  get ended(): Error | undefined {
    return this.#ended;
  }

  /** Rejects a pending read (the handshake timer uses this). */
  fail(err: Error): void {
    this.#fail(err);
  }

  #fail(err: Error): void {
    this.#ended ??= err;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(err);
  }

  #settle(): void {
    if (this.#resolve && this.#queue.length >= this.#want) {
      const resolve = this.#resolve;
      this.#resolve = this.#reject = undefined;
      resolve(Uint8Array.from(this.#queue.take(this.#want)));
    }
  }

  /** Stops listening and returns the bytes read past the last request. */
  detach(): Uint8Array {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    return this.#queue.take(this.#queue.length);
  }
}

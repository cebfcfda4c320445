// TCP server for SV2 roles: accepts connections, runs the Noise responder
// handshake (or nothing, for an explicitly plain listener) under a timeout,
// and hands each ready FramedConnection to the role.
import { type Server, type Socket, createServer } from 'node:net';
import type { Aead } from '../noise/aead.js';
import { ResponderCredentials } from '../noise/credentials.js';
import { ACT1_SIZE, NoiseResponder } from '../noise/handshake.js';
import type { RandomSource } from '../noise/ellswift.js';
import { noiseCodec, plainCodec } from './codecs.js';
import { FramedConnection } from './connection.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_LENGTH } from './limits.js';
import { type Logger, silentLogger } from './logger.js';
import { SocketReader } from './socket-reader.js';
import { Slices } from './slices.js';
import type { ConnectionGuard } from './guard.js';

export type ServerSecurity =
  | {
      kind: 'noise';
      /**
       * 32-byte authority secret key that signs the server's certificate:
       * one static key and certificate serve every handshake until half of
       * `certValiditySec` has passed, then a new pair is made.
       */
      authoritySecretKey: Uint8Array;
      certValiditySec?: number;
      /** Unix seconds; injectable for tests. */
      now?: () => number;
      random?: RandomSource;
      aead?: Aead;
    }
  | { kind: 'plain' };

export interface ServerOptions {
  host?: string;
  port: number;
  security: ServerSecurity;
  handshakeTimeoutMs?: number;
  maxPayloadLength?: number;
  highWaterFrames?: number;
  logger?: Logger;
  /** Total and per-address connection limits, applied at accept (before any handshake work). */
  guard?: ConnectionGuard;
  onConnection: (conn: FramedConnection) => void;
  /**
   * false: open no listening socket; connections accepted elsewhere (a
   * primary process that owns the port) come in through `adopt`. `port`
   * and `host` are then only reported back. Default true.
   */
  listen?: boolean;
}

export interface FramedServer {
  readonly host: string;
  readonly port: number;
  /** Connections past the handshake and not yet closed. */
  readonly connections: ReadonlySet<FramedConnection>;
  /** Stops accepting and closes every connection, handshaking or not. */
  close(): Promise<void>;
  /** Takes a connection accepted elsewhere (admitted against the guard, if any, like an accepted one). */
  adopt(socket: Socket): void;
}

export function listenFramed(opts: ServerOptions): Promise<FramedServer> {
  const log = opts.logger ?? silentLogger;
  const sockets = new Set<Socket>();
  const connections = new Set<FramedConnection>();
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const maxPayload = opts.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_LENGTH;
  const security = opts.security;
  const credentials =
    security.kind === 'noise'
      ? new ResponderCredentials({
          authoritySecretKey: security.authoritySecretKey,
          certValiditySec: security.certValiditySec,
          now: security.now,
          random: security.random,
        })
      : undefined;

  // The handshakes' key work in slices, so a reconnect storm leaves turns for the miners already connected.
  const slices = new Slices();

  const ready = (conn: FramedConnection) => {
    if (conn.isClosed) return;
    connections.add(conn);
    conn.once('close', () => connections.delete(conn));
    try {
      opts.onConnection(conn);
    } catch (err) {
      conn.abort(`connection handler failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const accept = async (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const connOpts = { logger: log, highWaterFrames: opts.highWaterFrames };
    if (security.kind === 'plain') {
      ready(new FramedConnection(socket, plainCodec(maxPayload), connOpts));
      return;
    }
    const reader = new SocketReader(socket);
    const timer = setTimeout(
      () => reader.fail(new Error(`handshake timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const act1 = await reader.read(ACT1_SIZE);
      const { responder, act2 } = await slices.run(() => {
        // Timed out or gone while waiting for its slice: no key work for it.
        if (reader.ended !== undefined) throw reader.ended;
        const responder = new NoiseResponder({
          authoritySecretKey: security.authoritySecretKey,
          credentials,
          random: security.random,
          aead: security.aead,
        });
        responder.readAct1(act1);
        return { responder, act2: responder.writeAct2() };
      });
      socket.write(act2);
      clearTimeout(timer);
      const initial = reader.detach();
      ready(new FramedConnection(socket, noiseCodec(responder.keys, maxPayload), { ...connOpts, initial }));
    } catch (err) {
      clearTimeout(timer);
      reader.detach();
      const reason = err instanceof Error ? err.message : String(err);
      // A peer that connects and closes without a byte is a port probe (a
      // health check, a start script waiting for the port), not a failed handshake.
      if (reader.received === 0 && socket.readableEnded)
        log.debug({ remote }, 'connection closed before the handshake');
      else log.warn({ remote, reason }, 'noise handshake failed');
      socket.destroy();
    }
  };

  const admit = (socket: Socket): boolean => {
    const guard = opts.guard;
    if (guard === undefined) return true;
    const ip = socket.remoteAddress ?? '';
    const admission = guard.admit(ip);
    if (!admission.ok) {
      log.warn({ remote: `${ip}:${socket.remotePort ?? 0}`, reason: admission.reason }, 'connection refused');
      socket.on('error', () => {});
      socket.destroy();
      return false;
    }
    socket.once('close', () => guard.release(ip));
    return true;
  };

  const server: Server = createServer((socket) => {
    if (admit(socket)) void accept(socket);
  });
  // Errors on not-yet-wrapped sockets are reported by the reader; this keeps a
  // stray one from crashing the process.
  server.on('error', (err) => log.error({ err: err.message }, 'server error'));

  const handle = (host: string, port: number, listening: boolean): FramedServer => ({
    host,
    port,
    connections,
    close: () =>
      new Promise<void>((done) => {
        if (listening) server.close(() => done());
        else done();
        for (const conn of connections) conn.abort('server shutting down');
        for (const socket of sockets) socket.destroy();
      }),
    adopt: (socket) => {
      if (admit(socket)) void accept(socket);
    },
  });

  if (opts.listen === false) return Promise.resolve(handle(opts.host ?? '127.0.0.1', opts.port, false));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
      const host = typeof addr === 'object' && addr !== null ? addr.address : (opts.host ?? '127.0.0.1');
      log.info({ host, port, transport: opts.security.kind }, 'listening');
      resolve(handle(host, port, true));
    });
  });
}

// TCP client for SV2 roles: connects, runs the Noise initiator handshake
// against the pinned authority key (or nothing, for an explicitly plain
// upstream), all under one timeout, and returns the FramedConnection.
import { type Socket, connect } from 'node:net';
import type { Aead } from '../noise/aead.js';
import type { RandomSource } from '../noise/ellswift.js';
import { ACT2_SIZE, NoiseInitiator } from '../noise/handshake.js';
import { noiseCodec, plainCodec } from './codecs.js';
import { FramedConnection } from './connection.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_LENGTH } from './limits.js';
import { type Logger, silentLogger } from './logger.js';
import { SocketReader } from './socket-reader.js';

export type ClientSecurity =
  | {
      kind: 'noise';
      /** The 32-byte x-only authority key the server's certificate must verify against; null skips it. */
      authorityPublicKey: Uint8Array | null;
      clockSkewSec?: number;
      now?: () => number;
      random?: RandomSource;
      aead?: Aead;
    }
  | { kind: 'plain' };

export interface ClientOptions {
  host: string;
  port: number;
  /** Local address to connect from (e.g. to spread many connections over 127.0.0.x). */
  localAddress?: string;
  security: ClientSecurity;
  /** Covers the TCP connect and the whole handshake. */
  handshakeTimeoutMs?: number;
  maxPayloadLength?: number;
  highWaterFrames?: number;
  logger?: Logger;
}

export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
}

export async function connectFramed(opts: ClientOptions): Promise<FramedConnection> {
  const log = opts.logger ?? silentLogger;
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const maxPayload = opts.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_LENGTH;
  const remote = `${opts.host}:${opts.port}`;
  const socket: Socket = connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
  const reader = new SocketReader(socket);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  deadline.catch(() => {});
  try {
    const connected = new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot connect to ${remote}: ${err.message}`));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    connected.catch(() => {});
    await Promise.race([connected, deadline]);
    const connOpts = { logger: log, highWaterFrames: opts.highWaterFrames };
    const security = opts.security;
    if (security.kind === 'plain') {
      clearTimeout(timer);
      const initial = reader.detach();
      return new FramedConnection(socket, plainCodec(maxPayload), { ...connOpts, initial });
    }
    const initiator = new NoiseInitiator({
      authorityPublicKey: security.authorityPublicKey,
      clockSkewSec: security.clockSkewSec,
      now: security.now,
      random: security.random,
      aead: security.aead,
    });
    socket.write(initiator.act1());
    const keys = initiator.readAct2(await Promise.race([reader.read(ACT2_SIZE), deadline]));
    clearTimeout(timer);
    const initial = reader.detach();
    return new FramedConnection(socket, noiseCodec(keys, maxPayload), { ...connOpts, initial });
  } catch (err) {
    clearTimeout(timer);
    reader.detach();
    socket.destroy();
    const reason = err instanceof Error ? err.message : String(err);
    log.warn({ remote, reason, transport: opts.security.kind }, 'connection setup failed');
    throw new HandshakeError(`handshake with ${remote} failed: ${reason}`, { cause: err });
  }
}

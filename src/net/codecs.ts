// The two FrameCodec flavours a FramedConnection can run.
import type { TransportKeys } from '../noise/handshake.js';
import { NoiseFrameDecoder, encryptFrame } from '../noise/transport.js';
import type { FrameCodec } from './connection.js';
import { PlainFrameDecoder, encodePlainFrame } from './plain-framing.js';

export function noiseCodec(keys: TransportKeys, maxPayloadLength?: number): FrameCodec {
  const decoder = new NoiseFrameDecoder(keys.recv, { maxPayloadLength });
  return {
    kind: 'noise',
    encode: (frame) => encryptFrame(keys.send, frame),
    decode: (chunk) => decoder.push(chunk),
  };
}

export function plainCodec(maxPayloadLength?: number): FrameCodec {
  const decoder = new PlainFrameDecoder({ maxPayloadLength });
  return { kind: 'plain', encode: encodePlainFrame, decode: (chunk) => decoder.push(chunk) };
}

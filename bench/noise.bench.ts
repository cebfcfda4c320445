// Noise figures: full NX handshakes per second (both sides in one process, no
// sockets) and encrypted transport throughput for small and large frames with
// each ChaCha20-Poly1305 implementation.
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../src/codec/frame.js';
import {
  type Aead,
  CipherState,
  NoiseFrameDecoder,
  NoiseInitiator,
  NoiseResponder,
  defaultAead,
  encryptFrame,
  generateAuthorityKeyPair,
  nobleAead,
  nodeAead,
} from '../src/noise/index.js';
import { emit, opsPerSecond } from './harness.js';

function frame(length: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + length).fill(0xab);
  encodeFrameHeader({ extension_type: 0, channel_msg: true, msg_type: 0x1a, msg_length: length }, out);
  return out;
}

function throughput(aead: Aead, payloadLength: number): number {
  const key = new Uint8Array(32).fill(1);
  const send = new CipherState(key, aead);
  const decoder = new NoiseFrameDecoder(new CipherState(key, aead));
  const f = frame(payloadLength);
  // One op = encrypt one frame and decrypt it again, as a connection's two ends would.
  const ops = opsPerSecond(() => {
    decoder.push(encryptFrame(send, f));
  });
  return (ops * payloadLength) / 1e6;
}

export default async function (): Promise<void> {
  const authority = generateAuthorityKeyPair();
  let samples = 0;
  const start = performance.now();
  while (samples < 5 || performance.now() - start < 2000) {
    const initiator = new NoiseInitiator({ authorityPublicKey: authority.publicKey });
    const responder = new NoiseResponder({ authoritySecretKey: authority.secretKey });
    responder.readAct1(initiator.act1());
    initiator.readAct2(responder.writeAct2());
    samples++;
  }
  const seconds = (performance.now() - start) / 1000;
  emit({
    bench: 'noise.handshake',
    value: Math.round((samples / seconds) * 10) / 10,
    unit: 'handshakes/s',
    samples,
  });

  for (const size of [100, 65536]) {
    for (const aead of [nobleAead, nodeAead]) {
      emit({
        bench: `noise.transport.${size === 100 ? '100B' : '64KiB'}.${aead.name}`,
        value: Math.round(throughput(aead, size) * 10) / 10,
        unit: 'MB/s',
        note: 'encrypt + decrypt per frame',
        default: aead === defaultAead,
      });
    }
  }
}

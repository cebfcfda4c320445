// Noise figures: each step of the NX handshake on its own (EllSwift encode and
// decode, x-only ECDH, certificate sign and verify), the responder's and the
// initiator's side of a handshake alone, full handshakes (both sides in one
// process, no sockets), encrypted transport throughput for small and large
// frames with each ChaCha20-Poly1305 implementation, and payload throughput
// through a loopback Noise connection (FramedConnection on both ends).
import { encodeFrameHeader, FRAME_HEADER_SIZE } from '../src/codec/frame.js';
import {
  type Aead,
  CipherState,
  NoiseFrameDecoder,
  NoiseInitiator,
  NoiseResponder,
  ResponderCredentials,
  autoAead,
  bytesToField,
  certificateDigest,
  defaultAead,
  ellswiftCreate,
  ellswiftDecodeXonly,
  encryptFrame,
  generateAuthorityKeyPair,
  nobleAead,
  jsAead,
  nodeAead,
  signCertificate,
  verifyCertificate,
  xelligatorswift,
} from '../src/noise/index.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { schnorrVerify } from '../src/noise/secp256k1.js';
import { createECDH } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { connectFramed } from '../src/net/client.js';
import { listenFramed } from '../src/net/server.js';
import { emit, opsPerCpuSecond } from './harness.js';

function frame(length: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + length).fill(0xab);
  encodeFrameHeader({ extension_type: 0, channel_msg: true, msg_type: 0x1a, msg_length: length }, out);
  return out;
}

/** Payload MB per second of wall time and per CPU-second of this process. */
function throughput(aead: Aead, payloadLength: number): { wall: number; cpu: number } {
  const key = new Uint8Array(32).fill(1);
  const send = new CipherState(key, aead);
  const decoder = new NoiseFrameDecoder(new CipherState(key, aead));
  const f = frame(payloadLength);
  // One op = encrypt one frame and decrypt it again, as a connection's two ends would.
  const ops = opsPerCpuSecond(() => {
    decoder.push(encryptFrame(send, f));
  });
  return { wall: (ops.wall * payloadLength) / 1e6, cpu: (ops.cpu * payloadLength) / 1e6 };
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

function step(name: string, unit: string, fn: () => void, note?: string): void {
  // Handshake steps cost tens of microseconds to milliseconds: a shorter warm-up than opsPerSecond's.
  for (let i = 0; i < 20; i++) fn();
  let ops = 0;
  const start = performance.now();
  while (ops < 20 || performance.now() - start < 1000) {
    fn();
    ops++;
  }
  const seconds = (performance.now() - start) / 1000;
  emit({
    bench: `noise.${name}`,
    value: round1(ops / seconds),
    unit,
    samples: ops,
    ...(note ? { note } : {}),
  });
}

/**
 * Payload MB/s through a Noise connection over loopback: the sender queues
 * bursts of frames as a pool does (a job to every channel, acknowledgements),
 * the receiver iterates them; both ends in this process. Also per CPU-second
 * of this process (both ends, the event loop and the sockets' system time).
 */
export async function overSocket(
  payloadLength: number,
  burst: number,
  authority: {
    secretKey: Uint8Array;
    publicKey: Uint8Array;
  },
): Promise<{ wall: number; cpu: number }> {
  const f = frame(payloadLength);
  let received = 0;
  const server = await listenFramed({
    port: 0,
    security: { kind: 'noise', authoritySecretKey: authority.secretKey },
    onConnection: (conn) => {
      void (async () => {
        for await (const _ of conn) received++;
      })();
    },
  });
  const client = await connectFramed({
    host: server.host,
    port: server.port,
    security: { kind: 'noise', authorityPublicKey: authority.publicKey },
  });
  try {
    let sent = 0;
    const run = async (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        let last: Promise<void> = Promise.resolve();
        for (let i = 0; i < burst; i++) last = client.send(f);
        sent += burst;
        await last;
        // Bounded backlog: wait for the receiver to catch up, then yield a turn.
        while (sent - received > 4 * burst) await nextTurn();
        await nextTurn();
      }
    };
    await run(300);
    const r0 = received;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await run(2000);
    const cpu = process.cpuUsage(cpu0);
    const bytes = (received - r0) * payloadLength;
    return { wall: bytes / 1000 / (performance.now() - t0), cpu: bytes / (cpu.user + cpu.system) };
  } finally {
    client.close();
    await server.close();
  }
}

export default async function (): Promise<void> {
  const authority = generateAuthorityKeyPair();
  const now = Math.floor(Date.now() / 1000);

  // Steps.
  // Encoding and decoding cost depends on the input: both run over 64 keys in turn.
  const pairs = Array.from({ length: 64 }, () => ellswiftCreate());
  const pair = pairs[0]!;
  let p = 0;
  step(
    'step.ellswift_encode',
    'ops/s',
    () => void xelligatorswift(bytesToField(pairs[p++ & 63]!.xonly)),
    'x to a random 64-byte encoding',
  );
  step('step.ellswift_decode', 'ops/s', () => void ellswiftDecodeXonly(pairs[p++ & 63]!.ellswift));
  step('step.keypair', 'ops/s', () => void ellswiftCreate(), 'fresh secret, its public key and encoding');
  const peer = ellswiftCreate();
  step('step.ecdh_xonly', 'ops/s', () => void pair.key.sharedXonly(peer.xonly));
  const openssl = createECDH('secp256k1');
  openssl.setPrivateKey(pair.secret);
  const peerCompressed = Uint8Array.of(0x02, ...peer.xonly);
  step(
    'step.ecdh_openssl',
    'ops/s',
    () => void openssl.computeSecret(peerCompressed),
    "the same ECDH through node:crypto's OpenSSL, for comparison",
  );
  step(
    'step.cert_sign',
    'ops/s',
    () => void signCertificate(authority.secretKey, pair.xonly, now, now + 3600, new Uint8Array(32)),
  );
  const cert = signCertificate(authority.secretKey, pair.xonly, now, now + 3600, new Uint8Array(32));
  const digest = certificateDigest(cert.version, cert.valid_from, cert.not_valid_after, pair.xonly);
  step(
    'step.cert_verify',
    'ops/s',
    () => void schnorrVerify(cert.signature, digest, authority.publicKey),
    'BIP340 verify (libsecp256k1, the certificate path)',
  );
  step(
    'step.cert_verify_noble',
    'ops/s',
    () => void schnorr.verify(cert.signature, digest, authority.publicKey),
    'BIP340 verify in pure JS (@noble/curves), for comparison',
  );
  step(
    'step.cert_verify_seen',
    'ops/s',
    () => verifyCertificate(cert, pair.xonly, authority.publicKey, now),
    'a certificate whose signature already verified',
  );

  // Whole handshakes, both sides in this process; each side's own work is
  // also timed alone. The responder runs as a server does: one static key and
  // certificate reused within their window (ResponderCredentials); the
  // "fresh_static" figures make and sign a new pair per handshake instead.
  const credentials = new ResponderCredentials({ authoritySecretKey: authority.secretKey });
  for (const [suffix, responderOptions] of [
    ['', { authoritySecretKey: authority.secretKey, credentials }],
    ['.fresh_static', { authoritySecretKey: authority.secretKey }],
  ] as const) {
    let samples = 0;
    let initiatorMs = 0;
    let responderMs = 0;
    const start = performance.now();
    while (samples < 20 || performance.now() - start < 3000) {
      const t0 = performance.now();
      const initiator = new NoiseInitiator({ authorityPublicKey: authority.publicKey });
      const act1 = initiator.act1();
      const t1 = performance.now();
      const responder = new NoiseResponder(responderOptions);
      responder.readAct1(act1);
      const act2 = responder.writeAct2();
      const t2 = performance.now();
      initiator.readAct2(act2);
      const t3 = performance.now();
      initiatorMs += t1 - t0 + (t3 - t2);
      responderMs += t2 - t1;
      samples++;
    }
    const totalMs = performance.now() - start;
    const rate = (ms: number) => round1((samples * 1000) / ms);
    emit({
      bench: `noise.handshake${suffix}`,
      value: rate(totalMs),
      unit: 'handshakes/s',
      samples,
      note: 'both sides in one process, no sockets',
    });
    emit({
      bench: `noise.handshake.responder${suffix}`,
      value: rate(responderMs),
      unit: 'handshakes/s',
      samples,
      note: 'responder side alone: read act 1, write act 2',
    });
    emit({
      bench: `noise.handshake.initiator${suffix}`,
      value: rate(initiatorMs),
      unit: 'handshakes/s',
      samples,
      note: 'initiator side alone: write act 1, read and verify act 2',
    });
  }

  for (const size of [100, 65536]) {
    for (const aead of [nobleAead, nodeAead, jsAead, autoAead]) {
      const rate = throughput(aead, size);
      emit({
        bench: `noise.transport.${size === 100 ? '100B' : '64KiB'}.${aead.name}`,
        value: round1(rate.wall),
        unit: 'MB/s',
        mb_per_cpu_s: round1(rate.cpu),
        note: 'encrypt + decrypt per frame',
        default: aead === defaultAead,
      });
    }
  }

  for (const [size, burst] of [
    [100, 64],
    [100, 1],
    [65536, 4],
  ] as const) {
    const rate = await overSocket(size, burst, authority);
    emit({
      bench: `noise.socket.${size === 100 ? '100B' : '64KiB'}.burst${burst}`,
      value: round1(rate.wall),
      unit: 'MB/s',
      mb_per_cpu_s: round1(rate.cpu),
      note: `payload delivered over a loopback Noise connection, ${burst} frame(s) sent per turn`,
    });
  }
}

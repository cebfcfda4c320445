import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_HEADER_SIZE } from '../../src/codec/frame.js';
import { generateAuthorityKeyPair, MAX_PT_CHUNK } from '../../src/noise/index.js';
import {
  connectFramed,
  listenFramed,
  type FramedConnection,
  type ServerSecurity,
  type ClientSecurity,
} from '../../src/net/index.js';
import { makeFrame, recordingLogger, until } from './helpers.js';

const authority = generateAuthorityKeyPair();
const SIZES = [0, 1, MAX_PT_CHUNK, MAX_PT_CHUNK + 1, 1 << 20];

async function echoServer(security: ServerSecurity) {
  const log = recordingLogger();
  const server = await listenFramed({
    port: 0,
    security,
    logger: log,
    maxPayloadLength: 2 << 20,
    onConnection: (conn) => {
      void (async () => {
        for await (const f of conn) {
          const out = new Uint8Array(FRAME_HEADER_SIZE + f.payload.length);
          out.set(makeFrame(0, f.header.msg_type).subarray(0, FRAME_HEADER_SIZE));
          out[3] = f.payload.length & 0xff;
          out[4] = (f.payload.length >> 8) & 0xff;
          out[5] = f.payload.length >> 16;
          out.set(f.payload, FRAME_HEADER_SIZE);
          await conn.send(out);
        }
      })();
    },
  });
  return { server, log };
}

async function exchange(conn: FramedConnection) {
  for (const [i, n] of SIZES.entries()) await conn.send(makeFrame(n, 0x10 + i, i));
  for (const [i, n] of SIZES.entries()) {
    const f = await conn.receive();
    assert.ok(f, `frame ${i} came back`);
    assert.equal(f.header.msg_type, 0x10 + i);
    assert.equal(f.header.msg_length, n);
    assert.deepEqual(f.payload, makeFrame(n, 0x10 + i, i).subarray(FRAME_HEADER_SIZE));
  }
}

const flavours: [string, ServerSecurity, ClientSecurity][] = [
  [
    'noise',
    { kind: 'noise', authoritySecretKey: authority.secretKey },
    { kind: 'noise', authorityPublicKey: authority.publicKey },
  ],
  ['plain', { kind: 'plain' }, { kind: 'plain' }],
];

for (const [name, serverSecurity, clientSecurity] of flavours) {
  test(`${name}: frames of 0, 1, 65519, 65520 bytes and 1 MiB each way over loopback TCP`, async (t) => {
    const { server, log } = await echoServer(serverSecurity);
    t.after(() => server.close());
    const conn = await connectFramed({
      host: '127.0.0.1',
      port: server.port,
      security: clientSecurity,
      maxPayloadLength: 2 << 20,
    });
    t.after(() => conn.close());
    assert.equal(conn.kind, name);
    await exchange(conn);
    conn.close('test done');
    const info = await conn.closed;
    assert.equal(info.reason, 'test done');
    await until(() => server.connections.size === 0, 'server side closes');
    assert.ok(log.has('info', /connection closed/));
  });
}

test('backpressure: a reader that does not consume pauses the socket and holds back send()', async (t) => {
  let serverConn: FramedConnection | undefined;
  const server = await listenFramed({
    port: 0,
    security: { kind: 'noise', authoritySecretKey: authority.secretKey },
    highWaterFrames: 4,
    onConnection: (c) => (serverConn = c),
  });
  t.after(() => server.close());
  const conn = await connectFramed({
    host: '127.0.0.1',
    port: server.port,
    security: { kind: 'noise', authorityPublicKey: authority.publicKey },
  });
  t.after(() => conn.close());
  const COUNT = 400; // 400 × 64 KiB = 25 MiB, far beyond the socket buffers
  let resolved = 0;
  const sends = Array.from({ length: COUNT }, (_, i) =>
    conn.send(makeFrame(65536, 0x20, i)).then(() => resolved++),
  );
  await until(() => serverConn?.paused === true, 'server pauses reading');
  assert.ok(serverConn!.queuedFrames <= 4 + 64, `queued ${serverConn!.queuedFrames}`);
  assert.ok(resolved < COUNT, 'some sends wait for drain');
  let received = 0;
  for await (const f of serverConn!) {
    assert.equal(f.payload.length, 65536);
    assert.equal(f.payload[1], (31 + received) & 0xff);
    if (++received === COUNT) break;
  }
  await Promise.all(sends);
  assert.equal(resolved, COUNT);
});

test('a burst of small frames sent in one tick, then close(), all arrive in order', async (t) => {
  const got: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const server = await listenFramed({
    port: 0,
    security: { kind: 'noise', authoritySecretKey: authority.secretKey },
    onConnection: (c) => {
      void (async () => {
        for await (const f of c) got.push(f.payload[0]! | (f.payload[1]! << 8));
        done();
      })();
    },
  });
  t.after(() => server.close());
  const conn = await connectFramed({
    host: '127.0.0.1',
    port: server.port,
    security: { kind: 'noise', authorityPublicKey: authority.publicKey },
  });
  const COUNT = 2000;
  for (let i = 0; i < COUNT; i++) {
    const f = makeFrame(100, 0x1a);
    f[FRAME_HEADER_SIZE] = i & 0xff;
    f[FRAME_HEADER_SIZE + 1] = i >> 8;
    // Past the socket's buffer mark a send waits for drain, and close() rejects that wait;
    // the bytes were already written and still go out.
    conn.send(f).catch(() => {});
  }
  // Closing in the same tick must still flush every frame queued behind the cork.
  conn.close('burst sent');
  await finished;
  assert.deepEqual(
    got,
    Array.from({ length: COUNT }, (_, i) => i),
  );
});

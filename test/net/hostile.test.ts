// Hostile peers: each must end with a clear log line, no crash, no leaked
// connection, and the server must still serve a good client afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  ACT2_SIZE,
  ENCRYPTED_HEADER_SIZE,
  NoiseInitiator,
  NoiseResponder,
  encryptFrame,
  generateAuthorityKeyPair,
} from '../../src/noise/index.js';
import { HandshakeError, connectFramed, listenFramed, type FramedServer } from '../../src/net/index.js';
import { makeFrame, recordingLogger, until } from './helpers.js';

const authority = generateAuthorityKeyPair();
const nowSec = () => Math.floor(Date.now() / 1000);
const good = { kind: 'noise' as const, authorityPublicKey: authority.publicKey };

async function startServer(
  extra: { now?: () => number; certValiditySec?: number; handshakeTimeoutMs?: number } = {},
) {
  const log = recordingLogger();
  const opened: Promise<unknown>[] = [];
  const server = await listenFramed({
    port: 0,
    security: {
      kind: 'noise',
      authoritySecretKey: authority.secretKey,
      now: extra.now,
      certValiditySec: extra.certValiditySec,
    },
    handshakeTimeoutMs: extra.handshakeTimeoutMs ?? 5000,
    logger: log,
    onConnection: (conn) => {
      opened.push(conn.closed);
      void (async () => {
        for await (const f of conn) await conn.send(makeFrame(f.payload.length, f.header.msg_type));
      })().catch(() => {});
    },
  });
  return { server, log, opened };
}

/** A good client still gets a handshake and an echo from `server`. */
async function serveGoodClient(server: FramedServer) {
  const conn = await connectFramed({ host: '127.0.0.1', port: server.port, security: good });
  try {
    await conn.send(makeFrame(5, 0x22));
    const f = await conn.receive();
    assert.equal(f?.header.msg_type, 0x22);
  } finally {
    conn.close();
  }
}

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Collects everything the peer sends until it closes. */
function readAll(s: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function expectHandshakeFailure(port: number, security: typeof good, re: RegExp) {
  const log = recordingLogger();
  await assert.rejects(
    connectFramed({ host: '127.0.0.1', port, security, logger: log }),
    (e: unknown) => e instanceof HandshakeError && re.test(e.message),
  );
  assert.ok(log.has('warn', re), 'client logged the reason');
}

test('wrong authority key pinned, expired and not-yet-valid certificates are refused by the client', async (t) => {
  const { server } = await startServer();
  t.after(() => server.close());
  await expectHandshakeFailure(
    server.port,
    { ...good, authorityPublicKey: generateAuthorityKeyPair().publicKey },
    /signature does not verify/,
  );
  const expired = await startServer({ now: () => nowSec() - 7200, certValiditySec: 3600 });
  t.after(() => expired.server.close());
  await expectHandshakeFailure(expired.server.port, good, /expired/);
  const future = await startServer({ now: () => nowSec() + 3600 });
  t.after(() => future.server.close());
  await expectHandshakeFailure(future.server.port, good, /not valid before/);
  await serveGoodClient(server);
});

test('a flipped bit in act 2 fails the client handshake', async (t) => {
  const hostile = createServer((socket) => {
    const responder = new NoiseResponder({ authoritySecretKey: authority.secretKey });
    socket.once('data', (act1: Buffer) => {
      responder.readAct1(act1.subarray(0, 64));
      const act2 = responder.writeAct2();
      act2[150]! ^= 0x04;
      socket.write(act2);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => hostile.close(r)));
  const addr = hostile.address();
  assert.ok(addr !== null && typeof addr === 'object');
  await expectHandshakeFailure(addr.port, good, /authentication failed/);
});

for (const [what, at] of [
  ['transport header', 3],
  ['payload chunk', ENCRYPTED_HEADER_SIZE + 70_000],
] as const) {
  test(`a flipped bit in a ${what} closes the connection with a logged reason`, async (t) => {
    const { server, log, opened } = await startServer();
    t.after(() => server.close());
    const s = await rawConnect(server.port);
    t.after(() => s.destroy());
    const initiator = new NoiseInitiator({ authorityPublicKey: authority.publicKey });
    const act2 = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => {
        chunks.push(c);
        const all = Buffer.concat(chunks);
        if (all.length >= ACT2_SIZE) {
          s.off('data', onData);
          resolve(all);
        }
      };
      s.on('data', onData);
    });
    s.write(initiator.act1());
    const keys = initiator.readAct2((await act2).subarray(0, ACT2_SIZE));
    const ok = encryptFrame(keys.send, makeFrame(3, 0x21));
    const bad = encryptFrame(keys.send, makeFrame(100_000, 0x21));
    bad[at]! ^= 0x80;
    const rest = readAll(s);
    s.write(Buffer.concat([ok, bad]));
    await rest; // the server closes on us
    await Promise.all(opened);
    assert.ok(log.has('warn', /authentication failed/), JSON.stringify(log.records));
    assert.equal(server.connections.size, 0);
    await serveGoodClient(server);
  });
}

test('a port probe (connect, close, not a byte) is logged at debug; a peer closing mid act 1 is a warning', async (t) => {
  const { server, log } = await startServer();
  t.after(() => server.close());
  const probe = await rawConnect(server.port);
  const probed = readAll(probe);
  probe.end();
  assert.equal((await probed).length, 0);
  const partial = await rawConnect(server.port);
  const partialDone = readAll(partial);
  partial.end(randomBytes(10));
  assert.equal((await partialDone).length, 0);
  const handshakes = () => log.records.filter((r) => r.msg !== 'listening');
  await until(() => handshakes().length >= 2, 'both connections logged');
  assert.deepEqual(
    handshakes().map((r) => [r.level, r.msg]),
    [
      ['debug', 'connection closed before the handshake'],
      ['warn', 'noise handshake failed'],
    ],
  );
  await serveGoodClient(server);
});

test('a peer that stops after 10 bytes of act 1 hits the handshake timeout', async (t) => {
  const { server, log } = await startServer({ handshakeTimeoutMs: 150 });
  t.after(() => server.close());
  const s = await rawConnect(server.port);
  t.after(() => s.destroy());
  const closed = readAll(s);
  s.write(randomBytes(10));
  assert.equal((await closed).length, 0, 'nothing sent back');
  assert.ok(log.has('warn', /handshake timed out after 150 ms/));
  await serveGoodClient(server);
});

test('1,000 random act-1 blobs: no crash, every connection ends, the server still serves', async (t) => {
  const { server, log, opened } = await startServer();
  t.after(() => server.close());
  const TOTAL = 1000;
  const PARALLEL = 25;
  let answered = 0;
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const s = await rawConnect(server.port);
      const got = readAll(s);
      s.write(randomBytes(64));
      // Half the peers then send garbage as if it were transport data; the rest hang up.
      if (i % 2 === 0) s.write(randomBytes(22 + (i % 50)));
      else s.end();
      const reply = await got;
      if (reply.length === ACT2_SIZE) answered++;
      s.destroy();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await Promise.all(opened);
  assert.ok(answered > 0, 'random act 1 blobs decode to points and get an act 2');
  assert.equal(server.connections.size, 0);
  assert.ok(log.has('warn', /authentication failed/));
  await serveGoodClient(server);
});

// The line splitter, the JSON-RPC envelope and mining.configure on their own,
// and how a session's lines leave in writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { difficultyToTarget } from '../../src/bitcoin/index.js';
import {
  answerConfigure,
  CPU_PORT,
  INVALID_UTF8_LINE,
  LineSplitter,
  parseInbound,
  rawTopLevelMember,
  type ConfigureOutcome,
  type Upstream,
} from '../../src/sv1/index.js';
import { EXTRANONCE, findNonce, harness, makeJob, minerHeader, parseNotify } from './fixture.js';

test('lines: several per read, one over several reads, CRLF, blank lines', () => {
  const s = new LineSplitter(64);
  assert.deepEqual(s.push('{"a":1}\n{"b":2}\r\n\n{"c"'), { lines: ['{"a":1}', '{"b":2}'], overflow: false });
  assert.equal(s.buffered, 4);
  assert.deepEqual(s.push(':3'), { lines: [], overflow: false });
  assert.deepEqual(s.push('}\r\n'), { lines: ['{"c":3}'], overflow: false });
  assert.equal(s.buffered, 0);
  // Bytes split inside a UTF-8 sequence are joined before decoding.
  const word = Buffer.from('"é"\n');
  assert.deepEqual(s.push(word.subarray(0, 2)).lines, []);
  assert.deepEqual(s.push(word.subarray(2)).lines, ['"é"']);
  assert.deepEqual(s.push(Uint8Array.of(0xff, 0xfe, 0x0a)).lines, [INVALID_UTF8_LINE]);
});

test('lines: the cap holds for complete lines and for unterminated tails, never buffering more', () => {
  const exact = new LineSplitter(8);
  assert.deepEqual(exact.push('12345678\n'), { lines: ['12345678'], overflow: false });
  const long = new LineSplitter(8);
  assert.deepEqual(long.push('ok\n123456789\nlater\n'), { lines: ['ok'], overflow: true });
  assert.deepEqual(long.push('more\n'), { lines: [], overflow: true });
  const tail = new LineSplitter(8);
  for (let i = 0; i < 8; i++) assert.equal(tail.push('x').overflow, false);
  assert.equal(tail.buffered, 8);
  assert.equal(tail.push('x').overflow, true);
  assert.equal(tail.buffered, 0);
  const mib = new LineSplitter();
  assert.equal(mib.push(new Uint8Array(1 << 20).fill(0x41)).overflow, true);
  assert.equal(mib.buffered, 0);
});

test('envelope: ids keep their type and every digit', () => {
  const cases: [string, string][] = [
    ['{"id":7,"method":"m","params":[]}', '7'],
    ['{"id":"7","method":"m","params":[]}', '"7"'],
    ['{"id":12345678901234567890123,"method":"m"}', '12345678901234567890123'],
    ['{"method":"m","id":1e400}', '1e400'],
    ['{"id":0.5,"method":"m"}', '0.5'],
    ['{"id":[1],"method":"m"}', 'null'],
    ['{"method":"m"}', 'null'],
    ['{"id":{"x":"}"},"z":[1,{"id":2}],"id":99999999999999999999,"method":"m"}', '99999999999999999999'],
  ];
  for (const [line, id] of cases) {
    const msg = parseInbound(line);
    assert.equal(msg.kind, 'request', line);
    assert.equal(msg.id, id, line);
  }
  assert.equal(rawTopLevelMember(' { "\\u0069d" : -1.5e+3 , "x":1}', 'id'), '-1.5e+3');
});

test('envelope: pong in either shape is a response; junk is invalid', () => {
  assert.equal(parseInbound('{"id":1,"result":"pong","error":null}').kind, 'response');
  assert.equal(parseInbound('{"id":1,"method":"pong","params":[]}').kind, 'response');
  const bad = parseInbound('{"id":1,"result":');
  assert.ok(bad.kind === 'invalid' && bad.close && bad.reject.message === 'Invalid JSON');
  const notObject = parseInbound('[1,2]');
  assert.ok(notObject.kind === 'invalid' && notObject.close);
  const noMethod = parseInbound('{"id":3,"method":5}');
  assert.ok(noMethod.kind === 'invalid' && !noMethod.close && noMethod.id === '3');
  const params = parseInbound('{"id":3,"method":"m","params":{"a":1}}');
  assert.ok(params.kind === 'invalid' && !params.close);
  const nullParams = parseInbound('{"id":3,"method":"m","params":null}');
  assert.ok(nullParams.kind === 'request' && nullParams.params.length === 0);
});

test('session: unknown methods answered without disconnecting, pings answered in both shapes are ignored', async () => {
  const h = harness();
  assert.deepEqual(await h.feed(['{"id":1,"method":"mining.capabilities","params":[{}]}']), [
    '{"id":1,"result":null,"error":[20,"Unsupported method",null]}',
  ]);
  h.session.ping(1);
  await h.session.idle();
  assert.deepEqual(h.take(), ['{"id":1,"method":"mining.ping","params":[]}']);
  assert.deepEqual(
    await h.feed(['{"id":1,"result":"pong","error":null}', '{"id":1,"method":"pong","params":[]}']),
    [],
  );
  assert.deepEqual(h.closed, []);
});

test('session: nothing is pinged before the first reply; invalid JSON is answered, then the connection closes', async () => {
  const h = harness();
  h.session.ping(0);
  await h.session.idle();
  assert.deepEqual(h.take(), []);
  assert.deepEqual(
    await h.feed(['{"id":1,"method":"mining.subscribe"', '{"id":2,"method":"mining.subscribe","params":[]}']),
    ['{"id":null,"result":null,"error":[20,"Invalid JSON",null]}'],
  );
  assert.deepEqual(h.closed, ['Invalid JSON']);
  assert.equal(h.session.closed, true);
  assert.deepEqual(await h.feed(['{"id":3,"method":"mining.subscribe","params":[]}']), []);
});

test('session: an overlong line closes the connection after the earlier replies', async () => {
  const h = harness({ maxLineBytes: 256 });
  h.session.receive('{"id":1,"method":"mining.extranonce.subscribe","params":[]}\n' + 'x'.repeat(300), 0);
  await h.session.idle();
  assert.deepEqual(h.take(), ['{"id":1,"result":true,"error":null}']);
  assert.deepEqual(h.closed, ['line too long']);
});

function outcome(x: ReturnType<typeof answerConfigure>): ConfigureOutcome {
  assert.ok('result' in x);
  // The result has a null prototype; compare it as a plain object.
  return { ...x, result: { ...x.result } };
}

test('configure: every extension answered, masks intersected, minimum difficulty accepted', () => {
  const all = outcome(
    answerConfigure(
      [
        ['version-rolling', 'minimum-difficulty', 'subscribe-extranonce', 'info', 'made-up', '__proto__'],
        {
          'version-rolling.mask': '1fffe000',
          'version-rolling.min-bit-count': 2,
          'minimum-difficulty.value': 2048,
          'info.connection-url': 'pool:3333',
        },
      ],
      0x1fffe000,
    ),
  );
  assert.equal(
    JSON.stringify(all.result),
    '{"version-rolling":true,"version-rolling.mask":"1fffe000","minimum-difficulty":true,"subscribe-extranonce":true,"info":true,"made-up":false,"__proto__":false}',
  );
  assert.equal(all.minimumDifficulty, 2048);
  assert.deepEqual(all.info, { 'connection-url': 'pool:3333' });
  assert.equal(
    outcome(answerConfigure([['version-rolling'], { 'version-rolling.mask': '00ff0000' }], 0x1fffe000))
      .versionMask,
    0x00ff0000 & 0x1fffe000,
  );
  assert.deepEqual(outcome(answerConfigure([['version-rolling'], {}], 0)).result, {
    'version-rolling': false,
  });
  assert.deepEqual(
    outcome(
      answerConfigure(
        [['version-rolling'], { 'version-rolling.mask': '00002000', 'version-rolling.min-bit-count': 2 }],
        0x1fffe000,
      ),
    ).result,
    { 'version-rolling': false },
  );
  assert.deepEqual(
    outcome(answerConfigure([['minimum-difficulty'], { 'minimum-difficulty.value': 'x' }], 0)).result,
    {
      'minimum-difficulty': false,
    },
  );
  assert.ok(!('result' in answerConfigure(['version-rolling'], 0)));
});

test('configure minimum-difficulty is a floor for the session', async () => {
  const h = harness();
  const lines = await h.feed([
    '{"id":1,"method":"mining.configure","params":[["minimum-difficulty"],{"minimum-difficulty.value":5000}]}',
    '{"id":2,"method":"mining.subscribe","params":[]}',
    '{"id":3,"method":"mining.authorize","params":["w",""]}',
    '{"id":4,"method":"mining.suggest_difficulty","params":[100]}',
  ]);
  assert.equal(lines[0], '{"id":1,"result":{"minimum-difficulty":true},"error":null}');
  assert.equal(lines[4], '{"id":null,"method":"mining.set_difficulty","params":[5000]}');
  assert.equal(h.session.difficulty, 5000);
});

test('session: what one turn says leaves in one write; a verdict that comes later is not held behind a waiting turn', async () => {
  const writes: string[] = [];
  const h = harness({ port: { ...CPU_PORT, start: 0.00001 }, send: (text) => writes.push(text) });
  const kinds = (text: string): unknown[] =>
    text.split('\n').map((l) => {
      const m = JSON.parse(l) as { id: unknown; method?: string };
      return m.method ?? m.id;
    });
  await h.feed(['{"id":1,"method":"mining.subscribe","params":[]}']);
  // As the translator does: the host pushes the channel's job while the authorize waits for it.
  const authorize = h.upstream.authorize.bind(h.upstream);
  (h.upstream as Upstream).authorize = async (user, password) => {
    h.session.pushJob(makeJob(), 0);
    await new Promise((r) => setImmediate(r));
    return authorize(user, password);
  };
  await h.feed(['{"id":2,"method":"mining.authorize","params":["w",""]}']);
  assert.deepEqual(writes.map(kinds), [[1], [2, 'mining.set_difficulty', 'mining.notify']]);

  // A vardiff step (the first-share window ran out): set_difficulty with its notify.
  h.session.tick(10_000);
  assert.deepEqual(kinds(writes[2]!), ['mining.set_difficulty', 'mining.notify']);
  // A new block: the notify alone.
  h.session.pushJob(makeJob({ job_id: 8, prev_hash: new Uint8Array(32).fill(9) }), 11_000);
  assert.deepEqual(kinds(writes[3]!), ['mining.notify']);
  const job = parseNotify(writes[3]!);

  // A share forwarded upstream, then a second name's authorize that waits for
  // the upstream: the share's verdict goes out as soon as it is in.
  let verdict!: (a: { accepted: true }) => void;
  h.upstream.submitAnswer = new Promise((resolve) => (verdict = resolve));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  (h.upstream as Upstream).authorize = () => gate.then(() => ({ ok: true as const }));
  const en1 = Buffer.from(EXTRANONCE.extranonce1).toString('hex');
  const header = minerHeader(job, en1, '00000000', parseInt(job.ntime, 16), 0);
  const nonce = findNonce(header, difficultyToTarget(0.0000025));
  const params = ['w', job.job_id, '00000000', job.ntime, nonce.toString(16)];
  const submit = { id: 3, method: 'mining.submit', params };
  h.session.receive(
    `${JSON.stringify(submit)}\n{"id":4,"method":"mining.authorize","params":["w2",""]}\n`,
    12_000,
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 4, 'nothing before the verdict');
  verdict({ accepted: true });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.slice(4).map(kinds), [[3]], 'the verdict, while the authorize still waits');
  release();
  await h.session.idle();
  assert.deepEqual(writes.slice(5).map(kinds), [[4]]);

  // Replies held behind a verdict leave with it, in one write.
  h.upstream.submitAnswer = new Promise((resolve) => (verdict = resolve));
  const second = findNonce(header, difficultyToTarget(0.0000025), undefined, nonce + 1);
  const again = { id: 5, method: 'mining.submit', params: [...params.slice(0, 4), second.toString(16)] };
  await h.feed([JSON.stringify(again), '{"id":6,"method":"mining.extranonce.subscribe","params":[]}']);
  assert.equal(writes.length, 6, 'both held');
  verdict({ accepted: true });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes.slice(6).map(kinds), [[5, 6]]);

  // Closing: what the turn said goes before the close.
  h.session.receive('{"id":7,"method":"mining.subscribe"\n', 13_000);
  await h.session.idle();
  assert.deepEqual(writes.slice(7).map(kinds), [[null]]);
  assert.deepEqual(h.closed, ['Invalid JSON']);
});

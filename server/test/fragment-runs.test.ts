import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import pino from 'pino';
import { MAX_RUN_BYTES } from '../outputs/fragment-runs.ts';
import { HttpMp4Session, type HttpStreamTransport } from '../outputs/http-mp4.ts';
import type { KeyframeGateOptions } from '../outputs/keyframe-gate.ts';
import { Viewers } from '../outputs/viewers.ts';
import { MAX_CORKABLE_PAYLOAD, WsMseSession } from '../outputs/ws-mse.ts';
import type { Fragment } from '../streams/fragment.ts';
import { FakeWebSocket } from '../../test/helpers/fake-ws.ts';
import { makeFragment } from '../../test/helpers/fragments.ts';
import { stubStream } from '../../test/helpers/stub-stream.ts';
import { FeedStream } from '../../test/helpers/timeline-feed.ts';

function fragment(options: { keyframe?: boolean; bytes?: number } = {}): Fragment {
  const made = makeFragment(options);
  randomFillSync(made.bytes);
  return made;
}

type WsSessionOptions = NonNullable<ConstructorParameters<typeof WsMseSession>[3]>;

/** A started WebSocket session that has had its first keyframe, so that the next batches are all live fragments. */
function liveSession<Socket extends FakeWebSocket = FakeWebSocket>(options: WsSessionOptions = {}, socket: Socket = new FakeWebSocket() as Socket): { socket: Socket; session: WsMseSession } {
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1', options);
  session.start();
  session.deliver([fragment({ keyframe: true })], Date.now());
  socket.sent = [];
  return { socket, session };
}

/** What a fake socket got: a text message's `type`, or a binary message's bytes. */
function messages(socket: FakeWebSocket): (string | Buffer)[] {
  return socket.sent.map(({ message }) => (typeof message === 'string' ? (JSON.parse(message) as { type: string }).type : Buffer.from(message)));
}

test('fragments that came in one batch go to a WebSocket viewer as one message per run; a keyframe starts a run of its own, after its stamp', () => {
  const [p1, p2, k3, p4] = [fragment(), fragment(), fragment({ keyframe: true }), fragment()];
  const first = liveSession();
  const second = liveSession();
  const batch = [p1!, p2!, k3!, p4!];
  first.session.deliver(batch, Date.now());
  second.session.deliver(batch, Date.now());
  assert.deepEqual(messages(first.socket), [Buffer.concat([p1!.bytes, p2!.bytes]), 'keyframe', Buffer.concat([k3!.bytes, p4!.bytes])]);
  assert.equal(first.socket.sent[0]!.message, second.socket.sent[0]!.message, 'one joined buffer for every viewer of the batch');
  assert.equal(first.session.fragmentsSent, 1 + 4, 'counted per fragment');

  // One fragment per batch, as a server that keeps up with its source sees them: the stream's own buffers.
  const alone = fragment();
  first.session.deliver([alone], Date.now());
  assert.equal(first.socket.sent.at(-1)!.message, alone.bytes);
});

test(`a run holds at most ${MAX_RUN_BYTES} bytes, unless one fragment is larger`, () => {
  const { socket, session } = liveSession();
  const batch = [fragment({ bytes: 30_000 }), fragment({ bytes: 30_000 }), fragment({ bytes: 30_000 }), fragment({ bytes: 100_000 }), fragment({ bytes: 1000 })];
  session.deliver(batch, Date.now());
  assert.deepEqual(socket.sent.map(({ message }) => message.length), [60_000, 30_000, 100_000, 1000]);
});

test('the instant start goes fragment by fragment: a fresh connection takes little at once, and the rest waits by reference', () => {
  const socket = new FakeWebSocket();
  const gop = [fragment({ keyframe: true }), fragment(), fragment()];
  const stream = stubStream();
  Object.assign(stream, { cache: { newest: { fragments: gop } } });
  new WsMseSession(socket, stream, '127.0.0.1').start();
  const binaries = socket.sent.filter(({ binary }) => binary).map(({ message }) => message);
  assert.deepEqual(binaries.slice(1), gop.map((f) => f.bytes), 'after the init segment, each cached fragment as the stream holds it');
});

test('a chunked HTTP viewer writes a batch\'s run as one chunk', () => {
  const chunks: Uint8Array[] = [];
  const res: HttpStreamTransport = {
    write: (chunk) => {
      chunks.push(chunk);
      return true;
    },
    cork: (work) => work(),
    end: () => {},
    close: () => {},
    onWritable: () => {},
  };
  const session = new HttpMp4Session(res, stubStream(), '127.0.0.1');
  session.start();
  const key = fragment({ keyframe: true });
  const [p1, p2] = [fragment(), fragment()];
  session.deliver([key, p1, p2], Date.now());
  assert.deepEqual(chunks.map((c) => Buffer.from(c)), [Buffer.from('init'), Buffer.concat([key.bytes, p1.bytes, p2.bytes])]);
});

test('with max_buffered at its 16 KiB floor, a viewer with nothing waiting never skips for a run', () => {
  const socket = new FakeWebSocket();
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1', { gate: { maxBufferedBytes: 16 * 1024, resumeBufferedBytes: 8 * 1024 } });
  session.start();
  session.deliver([fragment({ keyframe: true })], Date.now());
  session.deliver([fragment({ bytes: 12_000 }), fragment({ bytes: 12_000 }), fragment({ bytes: 3000 })], Date.now());
  assert.equal(session.gate.skippedFragments, 0);
  assert.equal(session.fragmentsSent, 4);
  assert.deepEqual(socket.sent.slice(-3).map(({ message }) => message.length), [12_000, 12_000, 3000], 'runs of at most half the limit');
});

/** What a fake socket got, in order: a text message parsed, or a binary message's bytes. */
function received(socket: FakeWebSocket): (Record<string, unknown> | Buffer)[] {
  return socket.sent.map(({ message }) => (typeof message === 'string' ? (JSON.parse(message) as Record<string, unknown>) : Buffer.from(message)));
}

/** The `keyframe` text message docs/protocol.md describes for `fragment`. */
function stampOf(fragment: Fragment): Record<string, unknown> {
  return { type: 'keyframe', seq: fragment.seq, generation: fragment.generation, arrivalMs: fragment.arrivalMs, decodeTime: fragment.info.decodeTime };
}

function joined(...fragments: Fragment[]): Buffer {
  return Buffer.concat(fragments.map((f) => f.bytes));
}

/**
 * A FakeWebSocket that, like uWS's, is valid from open to close: end() runs the close handler at once
 * (uWS: "Immediately calls the close handler"), and every call after the close, which uWS answers with
 * "Invalid access of closed uWS.WebSocket", is recorded instead.
 */
class ClosableWebSocket extends FakeWebSocket {
  /** The route's close handler: the session's close('peer'). */
  onClose: () => void = () => {};
  closedWith: { code?: number; reason?: string } | undefined;
  usedAfterClose: string[] = [];
  #closed = false;

  /** The peer went away: uWS runs the close handler. */
  peerClose(): void {
    this.#closed = true;
    this.onClose();
  }
  override send(message: Uint8Array | string, isBinary = false): number {
    this.#use(typeof message === 'string' ? `send ${message}` : `send ${message.length} bytes`);
    return super.send(message, isBinary);
  }
  override sendFirstFragment(message: Uint8Array, isBinary = false): boolean {
    this.#use('sendFirstFragment');
    return super.sendFirstFragment(message, isBinary);
  }
  override sendFragment(message: Uint8Array): boolean {
    this.#use('sendFragment');
    return super.sendFragment(message);
  }
  override sendLastFragment(message: Uint8Array): boolean {
    this.#use('sendLastFragment');
    return super.sendLastFragment(message);
  }
  override getBufferedAmount(): number {
    this.#use('getBufferedAmount');
    return super.getBufferedAmount();
  }
  override end(code?: number, reason?: string): void {
    this.#use('end');
    this.#closed = true;
    this.closedWith = { code, reason };
    this.onClose();
  }
  #use(what: string): void {
    if (this.#closed) this.usedAfterClose.push(what);
  }
}

/** A live session (see liveSession) on a ClosableWebSocket whose close handler closes it, as the ws route wires it. */
function closableSession(options: WsSessionOptions = {}): { socket: ClosableWebSocket; session: WsMseSession } {
  const live = liveSession(options, new ClosableWebSocket());
  live.socket.onClose = () => live.session.close('peer');
  return live;
}

/**
 * A chunked response like uWS's: it records each chunk (the buffer itself), takes it or not as `takes`
 * says, keeps the onWritable handler for the test to call, and records every call after end() or
 * close() (close() runs the onAborted handler at once, as uWS does).
 */
class FakeResponse implements HttpStreamTransport {
  chunks: Uint8Array[] = [];
  takes = true;
  writable: ((offset: number) => boolean) | undefined;
  onAborted: () => void = () => {};
  ended: 'end' | 'close' | undefined;
  usedAfterClose: string[] = [];

  write(chunk: Uint8Array): boolean {
    this.#use('write');
    this.chunks.push(chunk);
    return this.takes;
  }
  cork(work: () => void): void {
    this.#use('cork');
    work();
  }
  end(): void {
    this.#use('end');
    this.ended = 'end';
  }
  close(): void {
    this.#use('close');
    this.ended = 'close';
    this.onAborted();
  }
  onWritable(handler: (offset: number) => boolean): void {
    this.writable = handler;
  }
  #use(what: string): void {
    if (this.ended) this.usedAfterClose.push(what);
  }
}

/** A started chunked viewer that has had its first keyframe; its response's chunks start after that keyframe. */
function liveHttpSession(gate: Partial<KeyframeGateOptions> = {}): { res: FakeResponse; session: HttpMp4Session } {
  const res = new FakeResponse();
  const session = new HttpMp4Session(res, stubStream(), '127.0.0.1', gate);
  res.onAborted = () => session.close('peer');
  session.start();
  session.deliver([fragment({ keyframe: true })], Date.now());
  res.chunks = [];
  return { res, session };
}

test('a viewer that falls behind in the middle of a batch gets the run up to that fragment, then nothing until a `skip` message, the next keyframe\'s stamp and a run from that keyframe on', () => {
  const { socket, session } = liveSession({ gate: { maxBufferedBytes: 100_000, resumeBufferedBytes: 50_000 } });
  // uWS holds 70,000 bytes the viewer has not read: p1 and p2 fit under the limit, p3 would not. The three
  // would fit one run (50,000 bytes at most here), so only the skip can end the run at p3.
  socket.buffered = 70_000;
  const [p1, p2, p3, p4, k5, p6] = [fragment({ bytes: 16_000 }), fragment({ bytes: 16_000 }), fragment(), fragment(), fragment({ keyframe: true }), fragment()];
  session.deliver([p1!, p2!, p3!, p4!, k5!, p6!], Date.now());
  assert.deepEqual(socket.sent, [], 'the run waits behind what uWS holds');
  assert.equal(session.gate.skippedFragments, 4, 'p3 on; k5 too, since the buffer is still above resume_buffered');

  socket.buffered = 0;
  session.drained();
  const [p7, k8, p9] = [fragment(), fragment({ keyframe: true }), fragment()];
  session.deliver([p7!, k8!, p9!], Date.now());
  assert.deepEqual(received(socket), [joined(p1!, p2!), { type: 'skip', skipped: 5 }, stampOf(k8!), joined(k8!, p9!)]);
  assert.equal(session.fragmentsSent, 1 + 4);
  assert.equal(session.gate.skipEpisodes, 1);
});

test('a chunked viewer that falls behind in the middle of a batch gets the run up to that fragment, and after the gap a chunk that begins with the next keyframe', () => {
  const { res, session } = liveHttpSession({ maxBufferedBytes: 100_000, resumeBufferedBytes: 50_000 });
  const p0 = fragment({ bytes: 70_000 });
  // The socket takes none of p0: uWS holds it, and the gate counts it.
  res.takes = false;
  session.deliver([p0], Date.now());
  const [p1, p2, p3, p4, k5, p6] = [fragment({ bytes: 16_000 }), fragment({ bytes: 16_000 }), fragment(), fragment(), fragment({ keyframe: true }), fragment()];
  session.deliver([p1!, p2!, p3!, p4!, k5!, p6!], Date.now());
  res.takes = true;
  res.writable!(0);
  const [p7, k8, p9] = [fragment(), fragment({ keyframe: true }), fragment()];
  session.deliver([p7!, k8!, p9!], Date.now());
  assert.deepEqual(res.chunks.map((chunk) => Buffer.from(chunk)), [p0.bytes, joined(p1!, p2!), joined(k8!, p9!)]);
  assert.equal(session.gate.skippedFragments, 5);
});

test('a viewer the gate closes at the start of a batch is sent nothing more, not even what waited, and the other viewers of that batch get its whole joined runs', () => {
  const gate = { maxBufferedBytes: 100_000, resumeBufferedBytes: 50_000, maxBehindMs: 10_000 };
  const fastWs = liveSession();
  const slowWs = closableSession({ gate });
  const slowHttp = liveHttpSession(gate);
  const fastHttp = liveHttpSession();
  const hub = (batch: Fragment[], nowMs: number): void => {
    for (const session of [fastWs.session, slowWs.session, slowHttp.session, fastHttp.session]) session.deliver(batch, nowMs);
  };
  const t0 = Date.now();
  const p0 = fragment({ bytes: 70_000 });
  // The slow viewers' sockets take none of p0; the next batch's run waits behind it, then they skip.
  slowHttp.res.takes = false;
  hub([p0], t0);
  slowWs.socket.buffered = 70_000;
  const first = [fragment({ bytes: 20_000 }), fragment({ bytes: 20_000 }), fragment({ bytes: 20_000 })];
  hub(first, t0);
  assert.equal(slowWs.session.gate.skippedFragments, 1);
  assert.equal(slowHttp.session.gate.skippedFragments, 1);

  // One clock reading per batch: a viewer behind since an earlier batch is closed at the first fragment of this one.
  const [p4, p5, k6, p7] = [fragment(), fragment(), fragment({ keyframe: true }), fragment()];
  hub([p4!, p5!, k6!, p7!], t0 + 10_001);
  assert.ok(slowWs.session.closed && slowHttp.session.closed);
  assert.equal(slowWs.socket.closedWith?.code, 4408);
  assert.deepEqual(slowWs.socket.sent.map(({ message }) => message), [p0.bytes], 'the run that waited for uWS is dropped, not sent');
  assert.deepEqual(slowWs.socket.usedAfterClose, []);
  assert.equal(slowHttp.res.ended, 'close', 'a chunked viewer too slow is dropped, not ended as if the stream had');
  assert.deepEqual(slowHttp.res.chunks, [p0.bytes]);
  assert.deepEqual(slowHttp.res.usedAfterClose, []);

  const runs = [joined(...first), joined(p4!, p5!), joined(k6!, p7!)];
  const fastBinaries = fastWs.socket.sent.filter(({ binary }) => binary).map(({ message }) => message);
  assert.deepEqual(fastBinaries.slice(1).map((m) => Buffer.from(m)), runs);
  assert.deepEqual(fastHttp.res.chunks.slice(1).map((c) => Buffer.from(c)), runs);
  fastBinaries.slice(1).forEach((message, i) => assert.equal(fastHttp.res.chunks[1 + i], message, `run ${i}: one joined buffer for the viewers before and after the closed ones`));

  hub([fragment(), fragment()], t0 + 10_002);
  assert.deepEqual(slowWs.socket.usedAfterClose, []);
  assert.deepEqual(slowHttp.res.usedAfterClose, []);
});

test('a viewer whose peer went while a joined run was part-way out is not touched again, and the viewers of the batches after still get whole joined runs', () => {
  const gone = closableSession();
  const other = liveSession();
  const hub = (batch: Fragment[]): void => {
    for (const session of [gone.session, other.session]) session.deliver(batch, Date.now());
  };
  const first = [fragment({ bytes: 9000 }), fragment({ bytes: 9000 }), fragment({ bytes: 9000 })];
  hub(first);
  // The socket took 7,000 bytes of the run; uWS holds the rest, and the next run waits in the queue.
  gone.socket.buffered = 20_000;
  const second = [fragment(), fragment()];
  hub(second);
  gone.socket.peerClose();
  assert.equal(gone.session.closed, true);
  const third = [fragment({ keyframe: true }), fragment()];
  hub(third);
  assert.deepEqual(gone.socket.usedAfterClose, [], 'no close frame, send or buffer check on a socket uWS has closed');
  assert.deepEqual(gone.socket.sent.map(({ message }) => message), [other.socket.sent[0]!.message], 'the first run, the very buffer the other viewer got');
  assert.deepEqual(received(other.socket), [joined(...first), joined(...second), stampOf(third[0]!), joined(...third)]);
});

test('a transport that closes inside a write is written nothing more of that batch, and the viewers after it still get the whole joined runs', () => {
  const gone = closableSession();
  const after = liveSession();
  const send = gone.socket.send.bind(gone.socket);
  // As if the socket died in the write of the batch's first run and the close handler ran within it.
  gone.socket.send = (message, isBinary) => {
    const result = send(message, isBinary);
    gone.socket.peerClose();
    return result;
  };
  const [p1, p2, k3, p4] = [fragment(), fragment(), fragment({ keyframe: true }), fragment()];
  const batch = [p1!, p2!, k3!, p4!];
  gone.session.deliver(batch, Date.now());
  after.session.deliver(batch, Date.now());
  assert.deepEqual(received(gone.socket), [joined(p1!, p2!)], 'the run whose write closed it, and nothing after');
  assert.equal(gone.session.fragmentsSent, 1 + 2, 'the fragments after the close are not counted as sent');
  assert.deepEqual(received(after.socket), [joined(p1!, p2!), stampOf(k3!), joined(k3!, p4!)]);
});

test('a joined run the socket cannot take yet waits by reference and goes out whole, as one message, once uWS holds nothing', () => {
  const slow = liveSession();
  const other = liveSession();
  const send = slow.socket.send.bind(slow.socket);
  // The socket takes only part of the first run: uWS holds the rest.
  slow.socket.send = (message, isBinary) => {
    slow.socket.buffered = 5000;
    return send(message, isBinary);
  };
  const first = [fragment({ bytes: 3000 }), fragment({ bytes: 3000 }), fragment({ bytes: 3000 })];
  const second = [fragment({ bytes: 3000 }), fragment({ bytes: 3000 })];
  for (const batch of [first, second]) for (const { session } of [slow, other]) session.deliver(batch, Date.now());
  assert.equal(slow.socket.sent.length, 1, 'the second run waits');
  slow.session.drained();
  assert.equal(slow.socket.sent.length, 1, 'and waits while uWS still holds bytes');
  slow.socket.buffered = 0;
  slow.session.drained();
  assert.deepEqual(slow.socket.sent.map(({ message, part }) => [part, Buffer.from(message)]), [[undefined, joined(...first)], [undefined, joined(...second)]]);
  slow.socket.sent.forEach(({ message }, i) => assert.equal(message, other.socket.sent[i]!.message, `run ${i}: the buffer every viewer shares, not a copy`));
});

test('over TLS a joined run too large for uWS\'s cork buffer goes as one message in frames, whole even when the socket stops taking bytes after the first; the keyframe after it waits for the drain', () => {
  const { socket, session } = liveSession({ tls: true });
  const other = liveSession();
  const sendFirst = socket.sendFirstFragment.bind(socket);
  socket.sendFirstFragment = (message, isBinary) => {
    socket.buffered = 5000;
    return sendFirst(message, isBinary);
  };
  const run = [fragment({ bytes: 10_000 }), fragment({ bytes: 10_000 }), fragment({ bytes: 10_000 }), fragment({ bytes: 10_000 })];
  const key = fragment({ keyframe: true });
  const batch = [...run, key];
  session.deliver(batch, Date.now());
  other.session.deliver(batch, Date.now());
  assert.deepEqual(socket.sent.map(({ part }) => part), ['first', 'middle', 'last'], 'nothing between the frames of the message');
  assert.ok(socket.sent[0]!.binary);
  assert.ok(socket.sent.every(({ message }) => message.length <= MAX_CORKABLE_PAYLOAD));
  assert.deepEqual(Buffer.concat(socket.sent.map(({ message }) => message as Uint8Array)), joined(...run));
  const shared = other.socket.sent[0]!.message as Buffer;
  assert.ok(socket.sent.every(({ message }) => (message as Buffer).buffer === shared.buffer), 'views of the joined run every viewer shares');

  socket.buffered = 0;
  session.drained();
  assert.deepEqual(received(socket).slice(3), [stampOf(key), key.bytes]);
});

test('a joined run of 16,380 bytes goes in two frames on a plain socket, as a lone fragment of that size does', () => {
  const { socket, session } = liveSession();
  const run = [fragment({ bytes: 8190 }), fragment({ bytes: 8190 })];
  session.deliver(run, Date.now());
  assert.deepEqual(socket.sent.map(({ part, message }) => [part, message.length]), [['first', 8190], ['last', 8190]]);
  assert.deepEqual(Buffer.concat(socket.sent.map(({ message }) => message as Uint8Array)), joined(...run));
});

test('batches of two streams written alternately reach only their own viewers, each run joined once per batch for that stream\'s viewers', () => {
  const viewers = new Viewers(pino({ level: 'silent' }));
  const a = new FeedStream('a', { audio: false, frameBytes: 1000 });
  // Another size and GOP length, and generation 2, so that nothing of b's could pass for a's.
  const b = new FeedStream('b', { audio: false, frameBytes: 1100, gopFrames: 3 });
  const aSockets = [new FakeWebSocket(), new FakeWebSocket()];
  const bSockets = [new FakeWebSocket(), new FakeWebSocket()];
  const aRes = new FakeResponse();
  for (const socket of aSockets) viewers.add(new WsMseSession(socket, a, '127.0.0.1'));
  for (const socket of bSockets) viewers.add(new WsMseSession(socket, b, '127.0.0.1'));
  viewers.add(new HttpMp4Session(aRes, a, '127.0.0.1'));
  a.start();
  b.start();
  b.start();
  const aBatches: Fragment[][] = [];
  const bBatches: Fragment[][] = [];
  // Three frames per batch: every batch of both streams is one run over the same indices, 0 to 3.
  for (let round = 0; round < 3; round++) {
    aBatches.push(a.feed(0.1));
    bBatches.push(b.feed(0.1));
  }
  const [a1, a2, a3] = aBatches as [Fragment[], Fragment[], Fragment[]];
  const aExpected = [stampOf(a1[0]!), joined(...a1), joined(...a2), joined(...a3)];
  const bExpected = bBatches.flatMap((batch) => [stampOf(batch[0]!), joined(...batch)]);
  for (const socket of aSockets) assert.deepEqual(received(socket).slice(2), aExpected, 'after the init message and segment');
  for (const socket of bSockets) assert.deepEqual(received(socket).slice(4), bExpected, 'after two inits');
  assert.deepEqual(aRes.chunks.slice(1).map((chunk) => Buffer.from(chunk)), aExpected.slice(1));

  const binaries = (socket: FakeWebSocket): Uint8Array[] => socket.sent.filter(({ binary }) => binary).map(({ message }) => message as Uint8Array);
  const aRuns = binaries(aSockets[0]!).slice(1);
  assert.deepEqual(binaries(aSockets[1]!).slice(1), aRuns);
  aRuns.forEach((run, i) => {
    assert.equal(binaries(aSockets[1]!)[1 + i], run, `a's run ${i}: one buffer for a's viewers`);
    assert.equal(aRes.chunks[1 + i], run, `a's run ${i}: the chunked viewer's too`);
  });
  const bRuns = binaries(bSockets[0]!).slice(2);
  bRuns.forEach((run, i) => assert.equal(binaries(bSockets[1]!)[2 + i], run, `b's run ${i}: one buffer for b's viewers`));
  assert.ok(!bRuns.some((run) => aRuns.includes(run)), 'no buffer of a\'s memo reached b');
});

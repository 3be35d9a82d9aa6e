import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import { MAX_RUN_BYTES } from '../outputs/fragment-runs.ts';
import { HttpMp4Session, type HttpStreamTransport } from '../outputs/http-mp4.ts';
import { WsMseSession } from '../outputs/ws-mse.ts';
import type { Fragment } from '../streams/fragment.ts';
import { FakeWebSocket } from '../../test/helpers/fake-ws.ts';
import { makeFragment } from '../../test/helpers/fragments.ts';
import { stubStream } from '../../test/helpers/stub-stream.ts';

function fragment(options: { keyframe?: boolean; bytes?: number } = {}): Fragment {
  const made = makeFragment(options);
  randomFillSync(made.bytes);
  return made;
}

/** A started WebSocket session that has had its first keyframe, so that the next batches are all live fragments. */
function liveSession(): { socket: FakeWebSocket; session: WsMseSession } {
  const socket = new FakeWebSocket();
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1');
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

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendQueue, type QueuedMessage } from '../outputs/send-queue.ts';
import { HttpMp4Session, type HttpStreamTransport } from '../outputs/http-mp4.ts';
import { WsMseSession } from '../outputs/ws-mse.ts';
import { FakeWebSocket } from '../../test/helpers/fake-ws.ts';
import { makeFragment } from '../../test/helpers/fragments.ts';
import { stubStream } from '../../test/helpers/stub-stream.ts';

test('a send queue hands its messages over in order, stops where the transport buffers, and counts what waits', () => {
  // The transport: `held` bytes not yet taken by the socket; `takes` messages it will take whole.
  let held = 0;
  let takes = Infinity;
  const sent: QueuedMessage[] = [];
  const queue = new SendQueue({
    heldBytes: () => held,
    send: (message) => {
      sent.push(message);
      if (--takes >= 0) return true;
      held = 10;
      return false;
    },
  });
  const first = Buffer.alloc(50);
  queue.send(first);
  assert.equal(sent[0], first, 'nothing held, nothing waiting: straight to the transport');
  held = 10; // the socket stopped taking: the transport holds 10 bytes
  const a = Buffer.alloc(100);
  const b = Buffer.alloc(200);
  queue.send(a);
  queue.send('{"type":"skip"}');
  queue.send(b);
  assert.equal(sent.length, 1);
  assert.equal(queue.bytes, 325, 'held by the transport and waiting here');
  queue.flush();
  assert.equal(sent.length, 1, 'no flush while the transport still holds bytes');
  held = 0;
  takes = 1;
  queue.flush();
  assert.deepEqual(sent.slice(1), [a, '{"type":"skip"}'], 'stopped after the message the transport had to buffer');
  assert.equal(queue.bytes, 210);
  assert.equal(queue.empty, false);
  held = 0;
  takes = Infinity;
  queue.flush();
  assert.equal(sent[3], b, 'the very buffer, not a copy');
  assert.equal(queue.empty, true);
  assert.equal(queue.bytes, 0);
});

test('under backpressure a WebSocket viewer queues references, not copies, and sends them in order on drain', () => {
  const socket = new FakeWebSocket();
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1', { gate: { maxBufferedBytes: 10_000, resumeBufferedBytes: 2_000, maxBehindMs: 60_000 } });
  session.start();
  const key = makeFragment({ keyframe: true, bytes: 3000 });
  session.deliver([key], Date.now());
  const direct = socket.sent.length;
  assert.equal(socket.sent.at(-1)!.message, key.bytes, 'no backpressure: straight to the socket');

  // uWS now holds part of a message: nothing more goes to uWS; fragments wait by reference.
  socket.buffered = 1500;
  const waiting = [makeFragment({ bytes: 3000 }), makeFragment({ bytes: 3000 })];
  for (const fragment of waiting) session.deliver([fragment], Date.now());
  assert.equal(socket.sent.length, direct, 'nothing handed to uWS while it holds bytes for this socket');
  session.drained();
  assert.equal(socket.sent.length, direct, 'a drain that left bytes in uWS sends nothing yet');

  // The gate sees uWS's bytes plus the queue's: 1500 + 6000 + 3000 passes 10 000, so the next ones skip.
  session.deliver([makeFragment({ bytes: 3000 }), makeFragment({ bytes: 3000 })], Date.now());
  assert.equal(session.gate.skippedFragments, 1);

  socket.buffered = 0;
  session.drained();
  const flushed = socket.sent.slice(direct).map((s) => s.message);
  assert.equal(flushed.length, 3);
  assert.equal(flushed[0], waiting[0]!.bytes, 'the stream\'s own buffer, in order');
  assert.equal(flushed[1], waiting[1]!.bytes);
});

test('a WebSocket viewer whose start is scheduled later sends nothing before it, then its init, the GOP and the markers once', () => {
  const socket = new FakeWebSocket();
  const marker = { id: 'm1', label: 'goal', timeMs: Date.UTC(2026, 0, 1), createdMs: Date.UTC(2026, 0, 1) };
  // The cached GOP is of generation 2: the stream re-initialised between the viewer's open and its start.
  const keyframe = makeFragment({ keyframe: true, bytes: 3000, generation: 2 });
  const stream = stubStream();
  Object.assign(stream, { markers: { list: () => [marker] }, cache: { newest: { fragments: [keyframe] } } });
  const later: (() => void)[] = [];
  const session = new WsMseSession(socket, stream, '127.0.0.1', { schedule: (work) => later.push(work) });
  session.start();
  // Between open and the start (uWS's 101 response still corked): registered, so the stream's events reach it.
  const reinit = { ...stream.init!, generation: 2, bytes: Buffer.from('init 2') };
  Object.assign(stream, { init: reinit });
  session.onInit(reinit);
  session.onMarker(marker);
  session.deliver([makeFragment({ keyframe: true })], Date.now());
  session.receive(new TextEncoder().encode('{"type":"ping","id":7}').buffer as ArrayBuffer, false);
  assert.equal(socket.sent.length, 0, 'nothing is sent before the start');
  for (const work of later) work();
  const kinds = socket.sent.map(({ message }) => (typeof message === 'string' ? (JSON.parse(message) as { type: string }).type : message));
  assert.deepEqual(kinds, ['init', reinit.bytes, 'keyframe', keyframe.bytes, 'marker', 'pong'], 'the current init once, the cached GOP, each marker once, then the answer to the ping');
  assert.equal((JSON.parse(socket.sent[0]!.message as string) as { generation: number }).generation, 2);
});

test('a drain stops sending as soon as uWS has to hold bytes again', () => {
  const socket = new FakeWebSocket();
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1');
  session.start();
  session.deliver([makeFragment({ keyframe: true })], Date.now());
  socket.buffered = 1;
  session.deliver([makeFragment(), makeFragment(), makeFragment()], Date.now());
  const before = socket.sent.length;
  socket.buffered = 0;
  const send = socket.send.bind(socket);
  socket.send = (message, binary) => {
    socket.buffered = 500; // the socket took only part of this one
    return send(message, binary);
  };
  session.drained();
  assert.equal(socket.sent.length, before + 1, 'one message out, two still waiting');
});

/** What HttpMp4Session uses of a uWS HttpResponse: `accept` says whether the socket takes a whole chunk. */
class FakeResponse implements HttpStreamTransport {
  written: Uint8Array[] = [];
  accept = true;
  writable: ((offset: number) => boolean) | undefined;
  write(chunk: Uint8Array): boolean {
    this.written.push(chunk);
    return this.accept;
  }
  cork(work: () => void): void {
    work();
  }
  end(): void {}
  close(): void {}
  onWritable(handler: (offset: number) => boolean): void {
    this.writable = handler;
  }
}

test('a chunked MP4 viewer queues behind a chunk uWS holds, and on writable sends what waited, or an 8-byte free box to push out the tail', () => {
  const res = new FakeResponse();
  const session = new HttpMp4Session(res, stubStream(), '127.0.0.1');
  session.start();
  const key = makeFragment({ keyframe: true, bytes: 3000 });
  res.accept = false; // the socket takes only part of the keyframe: uWS holds the rest
  session.deliver([key], Date.now());
  const held = res.written.length;
  const next = makeFragment({ bytes: 3000 });
  session.deliver([next], Date.now());
  assert.equal(res.written.length, held, 'behind a held chunk, the next waits by reference');
  res.accept = true;
  res.writable!(0);
  assert.equal(res.written.at(-1), next.bytes, 'sent on writable, in order, the stream\'s own buffer');
  res.accept = false;
  session.deliver([makeFragment({ bytes: 3000 })], Date.now());
  res.accept = true;
  res.writable!(0);
  assert.deepEqual([...res.written.at(-1)!], [0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65], 'nothing queued: a free box makes uWS write out what it holds');
});

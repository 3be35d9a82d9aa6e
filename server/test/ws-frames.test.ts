import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import WebSocket from 'ws';
import { loadUws, type UWS } from '../http/uws.ts';
import { MAX_CORKABLE_PAYLOAD, sendBinary, WsMseSession } from '../outputs/ws-mse.ts';
import { FakeWebSocket } from '../../test/helpers/fake-ws.ts';
import { makeFragment } from '../../test/helpers/fragments.ts';
import { stubStream } from '../../test/helpers/stub-stream.ts';

/** Sizes on each side of uWS's two thresholds: the cork buffer with a frame header (16,380) and its straight path (16,384). */
const SIZES = [100, 16_379, 16_380, 16_383, 16_384, 40_000];

function framesOf(size: number, tls: boolean): FakeWebSocket['sent'] {
  const socket = new FakeWebSocket();
  sendBinary(socket, Buffer.alloc(size), tls);
  return socket.sent;
}

test('a binary message goes as one frame where uWS writes it without a buffer of the socket\'s own, else in frames that fit its cork buffer', () => {
  assert.equal(MAX_CORKABLE_PAYLOAD, 16_379);
  const single = (size: number, tls: boolean): boolean => {
    const frames = framesOf(size, tls);
    return frames.length === 1 && frames[0]!.part === undefined;
  };
  // Plain sockets: one frame, except the four sizes between the cork buffer and the straight path.
  assert.deepEqual(SIZES.map((size) => single(size, false)), [true, true, false, false, true, true]);
  // TLS: uWS has no straight path, so anything the cork buffer cannot take goes in frames.
  assert.deepEqual(SIZES.map((size) => single(size, true)), [true, true, false, false, false, false]);

  const bytes = randomFillSync(Buffer.alloc(40_000));
  const socket = new FakeWebSocket();
  sendBinary(socket, bytes, true);
  assert.deepEqual(socket.sent.map((s) => s.part), ['first', 'middle', 'last']);
  assert.ok(socket.sent.every((s) => s.message.length <= MAX_CORKABLE_PAYLOAD), 'every frame fits the cork buffer');
  assert.ok(socket.sent[0]!.binary, 'the first frame carries the binary opcode');
  assert.deepEqual(Buffer.concat(socket.sent.map((s) => s.message as Uint8Array)), bytes, 'the frames are the message, in order');
  assert.equal((socket.sent[1]!.message as Buffer).buffer, bytes.buffer, 'views of the stream\'s buffer, not copies');

  const gap = framesOf(16 * 1024 - 2, false);
  assert.deepEqual(gap.map((s) => [s.part, s.message.length]), [['first', 8191], ['last', 8191]]);
});

test('a message in frames goes out whole even when the socket stops taking bytes part-way; what follows waits for the drain', () => {
  const socket = new FakeWebSocket();
  const first = socket.sendFirstFragment.bind(socket);
  // The socket takes part of the first frame only: uWS holds the rest, and the frames after it.
  socket.sendFirstFragment = (message, isBinary) => {
    socket.buffered = 5000;
    return first(message, isBinary);
  };
  const session = new WsMseSession(socket, stubStream(), '127.0.0.1', { tls: true });
  session.start();
  const big = makeFragment({ keyframe: true, bytes: 40_000 });
  const next = makeFragment({ bytes: 2000 });
  session.deliver([big], Date.now());
  session.deliver([next], Date.now());
  const parts = socket.sent.filter((s) => s.part).map((s) => s.part);
  assert.deepEqual(parts, ['first', 'middle', 'last'], 'a message is never left open');
  assert.ok(!socket.sent.some((s) => s.message === next.bytes), 'the next fragment waits while uWS holds bytes');
  socket.buffered = 0;
  session.drained();
  assert.equal(socket.sent.at(-1)!.message, next.bytes);
});

/** A self-signed certificate for 127.0.0.1, made by openssl, in `dir`. */
function makeCertificate(dir: string): { cert: string; key: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20_000,
  });
  return { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

/**
 * A bare uWS app (plain or SSL) whose one route opens a WsMseSession and hands it `batches` of fragments, the
 * first fragment a keyframe; returns the first `count` binary messages a `ws` client received after the init segment.
 */
async function receivedThroughUws(tls: { cert: string; key: string } | undefined, batches: Buffer[][], count: number): Promise<Buffer[]> {
  const { uws } = loadUws({ allowFallback: false });
  const app = tls ? uws.SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key }) : uws.App();
  let session: WsMseSession | undefined;
  app.ws('/ws', {
    open: (ws) => {
      session = new WsMseSession(ws, stubStream(), '127.0.0.1', { tls: tls !== undefined, schedule: (work) => setImmediate(work) });
      session.start();
      setImmediate(() => {
        for (const [b, batch] of batches.entries()) session!.deliver(batch.map((bytes, i) => ({ ...makeFragment({ keyframe: b === 0 && i === 0 }), bytes })), Date.now());
      });
    },
    drain: () => session?.drained(),
  });
  const listening = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (token) => (token ? resolve(token) : reject(new Error('uWS did not listen')))),
  );
  let client: WebSocket | undefined;
  try {
    const port = uws.us_socket_local_port(listening);
    client = new WebSocket(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`, tls ? { ca: readFileSync(tls.cert) } : {});
    const binaries: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${binaries.length} binary messages in 5 s`)), 5000);
      client!.on('message', (data, isBinary) => {
        if (isBinary) binaries.push(data as Buffer);
        if (binaries.length === count + 1) {
          clearTimeout(timer);
          resolve();
        }
      });
      client!.on('error', reject);
    });
    return binaries.slice(1);
  } finally {
    client?.terminate();
    uws.us_listen_socket_close(listening);
  }
}

test('over real uWS sockets, plain and TLS, a viewer receives each fragment whole, as one message, whatever its size, and a batch\'s run joined', async (t) => {
  const dir = mkdtempSync(`${tmpdir()}/fragcast-frames-`);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fragments = SIZES.map((size) => randomFillSync(Buffer.alloc(size)));
  // Each size alone in its batch, then one batch of two fragments that came together: one message, both in order.
  const pair = [randomFillSync(Buffer.alloc(9000)), randomFillSync(Buffer.alloc(9000))];
  const expected = [...fragments, Buffer.concat(pair)];
  for (const tls of [undefined, makeCertificate(dir)]) {
    const received = await receivedThroughUws(tls, [...fragments.map((fragment) => [fragment]), pair], expected.length);
    assert.deepEqual(received.map((m) => m.length), expected.map((m) => m.length), tls ? 'TLS' : 'plain');
    received.forEach((message, i) => assert.ok(message.equals(expected[i]!), `${tls ? 'TLS' : 'plain'}: message ${i} arrives intact`));
  }
});

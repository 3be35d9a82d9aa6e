import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { LoadGenerator, type LoadSnapshot } from '../load/generator.ts';
import { box } from '../../test/helpers/boxes.ts';

/** A server frame (RFC 6455 §5.2, unmasked, payload < 126 bytes). */
function frame(fin: boolean, opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, payload.length]), payload]);
}

/** A `prft` box (v0, §8.16.5) for track 1 with the NTP time of `unixMs`, then an 8-byte `mdat`: a fragment's ends, as the reader sees them. */
function prftFragment(unixMs: number): Buffer {
  const prft = Buffer.alloc(32);
  prft.writeUInt32BE(32, 0);
  prft.write('prft', 4, 'latin1');
  prft.writeUInt32BE(1, 12);
  prft.writeUInt32BE(Math.floor(unixMs / 1000) + 2_208_988_800, 16);
  prft.writeUInt32BE(Math.floor(((unixMs % 1000) / 1000) * 0x1_0000_0000), 20);
  return Buffer.concat([prft, Buffer.from([0, 0, 0, 8, 0x6d, 0x64, 0x61, 0x74])]);
}

test("the load generator's WebSocket reader counts fragmented messages, with a ping between the fragments and headers split across reads, and every fragment's prft in a run", async (t) => {
  const stream = Buffer.concat([
    // One binary message in three fragments (§5.4), a ping between the first two.
    frame(false, 0x2, Buffer.alloc(10, 1)),
    frame(true, 0x9, Buffer.from('hi')),
    frame(false, 0x0, Buffer.alloc(5, 2)),
    frame(true, 0x0, Buffer.alloc(3, 3)),
    // A whole binary message holding a run of two fragments, then fragcast's skip message as text.
    frame(true, 0x2, Buffer.concat([prftFragment(Date.now()), prftFragment(Date.now())])),
    frame(true, 0x1, Buffer.from('{"type":"skip","skipped":3}')),
  ]);
  const fromViewer: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let answered = false;
    socket.on('data', async (data) => {
      if (answered) {
        fromViewer.push(data);
        return;
      }
      answered = true;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      // Three bytes at a time, each its own read: frame headers arrive in pieces.
      for (let at = 0; at < stream.length; at += 3) {
        socket.write(stream.subarray(at, at + 3));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const load = new LoadGenerator({ host: '127.0.0.1', port, path: '/ws', protocol: 'ws', clients: 1, connectPerSecond: 100, readBytesPerSecond: 0, lifeMs: null, workers: 1 });
  t.after(() => load.stop());
  let snapshot = await load.snapshot();
  // Until the last message is counted and the pong has reached the server.
  for (let tries = 0; tries < 100 && (snapshot.skips === 0 || Buffer.concat(fromViewer).length < 8); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    snapshot = await load.snapshot();
  }
  assert.equal(snapshot.bytes, 10 + 5 + 3 + 80, 'the binary payload bytes, fragments included');
  assert.equal(snapshot.messages, 2, 'two binary messages, the fragmented one counted once');
  assert.equal(snapshot.delays.total, 2, 'a delay sample for each fragment of the run');
  assert.ok(snapshot.delays.percentile(1)! < 5000, 'against the prft wallclock');
  assert.equal(snapshot.skips, 1);
  assert.equal(snapshot.errors, 0);
  // The pong: FIN + opcode 0xA, masked (§5.3) with a zero key, the ping's payload.
  assert.deepEqual(Buffer.concat(fromViewer), Buffer.from([0x8a, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
});

/** An empty `free` box (ISO/IEC 14496-12 §8.1.2), as fragcast writes between chunked fragments. */
const FREE_BOX = Buffer.from([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]);

/** One chunk of a chunked body (RFC 9112 §7.1). */
function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/**
 * A server that answers any request with a chunked 200 whose body is `chunks`, written `pieceBytes` at a
 * time, each its own read (3: box headers and chunk-size lines arrive in pieces); returns its port.
 */
async function serveChunked(t: TestContext, chunks: Buffer[], pieceBytes = 3): Promise<number> {
  const body = Buffer.concat(chunks.map(chunk));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.once('data', async () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let at = 0; at < body.length; at += pieceBytes) {
        socket.write(body.subarray(at, at + pieceBytes));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

/** The load generator's snapshot once it has read `bytes` body bytes; fails, rather than hangs, when its worker stops answering. */
async function snapshotAfter(t: TestContext, port: number, bytes: number): Promise<LoadSnapshot> {
  const load = new LoadGenerator({ host: '127.0.0.1', port, path: '/live.mp4', protocol: 'http', clients: 1, connectPerSecond: 100, readBytesPerSecond: 0, lifeMs: null, workers: 1 });
  t.after(() => load.stop());
  const answered = async (): Promise<LoadSnapshot> => {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      // Generous: the first answer waits for the worker to start.
      timer = setTimeout(() => reject(new Error('the viewer worker stopped answering: its reader loops')), 10_000);
    });
    try {
      return await Promise.race([load.snapshot(), stuck]);
    } finally {
      clearTimeout(timer);
    }
  };
  let snapshot = await answered();
  for (let tries = 0; tries < 250 && snapshot.bytes < bytes; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    snapshot = await answered();
  }
  return snapshot;
}

test("the load generator's chunked HTTP reader walks past an 8-byte free box, alone in its chunk or inside a run, and counts the prft after it", async (t) => {
  const run = Buffer.concat([prftFragment(Date.now()), FREE_BOX, prftFragment(Date.now())]);
  const chunks = [box('ftyp', Buffer.alloc(8)), run, FREE_BOX, prftFragment(Date.now())];
  const port = await serveChunked(t, chunks);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const snapshot = await snapshotAfter(t, port, total);
  assert.equal(snapshot.bytes, total);
  assert.equal(snapshot.messages, 3, 'one per prft: both of the run, and the one after the lone free box');
  assert.equal(snapshot.delays.total, 3);
  assert.ok(snapshot.delays.percentile(1)! < 5000);
  assert.equal(snapshot.errors, 0);
});

test("the load generator's chunked HTTP reader stops walking at a box whose size is smaller than its header, without looping, and still counts the body", async (t) => {
  // Sizes 4 and 0 (an 8-byte header each); the second arrives whole in one read, where a walker that
  // stepped back by the difference would read the same header for ever.
  for (const [size, pieceBytes] of [[4, 3], [0, 1024]] as const) {
    const bad = Buffer.from([0, 0, 0, size, 0x6a, 0x75, 0x6e, 0x6b]);
    const chunks = [prftFragment(Date.now()), Buffer.concat([bad, prftFragment(Date.now())]), prftFragment(Date.now())];
    const port = await serveChunked(t, chunks, pieceBytes);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const snapshot = await snapshotAfter(t, port, total);
    assert.equal(snapshot.bytes, total, `size ${size}: the chunked decoder goes on`);
    assert.equal(snapshot.messages, 1, `size ${size}: only the prft before the bad box`);
    assert.equal(snapshot.delays.total, 1);
    assert.equal(snapshot.errors, 0);
  }
});

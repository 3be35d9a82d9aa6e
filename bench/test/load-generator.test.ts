import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { LoadGenerator } from '../load/generator.ts';

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

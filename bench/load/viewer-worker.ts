/**
 * A worker thread that drives many viewers over raw TCP sockets: WebSocket
 * (a minimal RFC 6455 client frame reader) or chunked HTTP (a minimal
 * chunked decoder). Every socket of a worker reads into one reused buffer
 * (net's `onread`), and a viewer copies out only the few bytes it keeps (a
 * split frame header, a box's first 24 bytes), not the payload. It
 * counts payload bytes and messages, and for each fMP4 fragment that starts
 * with a `prft` box it records receive time minus the producer's wallclock.
 * Loopback only: the runner passes 127.0.0.1.
 */
import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram } from './histogram.ts';

export interface ViewerWorkerOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly protocol: 'ws' | 'http';
  readonly clients: number;
  /** New connections per second from this worker (a ramp, so the server is not SYN-flooded). */
  readonly connectPerSecond: number;
  /** Throttle each viewer to this many bytes per second (slow viewers); 0 = read as fast as possible. */
  readonly readBytesPerSecond: number;
  /** For churn: each viewer disconnects after a random life in [min, max] ms and reconnects; 0 = stay. */
  readonly lifeMs: readonly [number, number] | null;
  /** Viewers whose index is a multiple of this record (prft, receive time) samples for the server-added delay. */
  readonly sampleEvery: number;
}

export interface ViewerWorkerReport {
  readonly type: 'report';
  readonly connected: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly errors: number;
  /** Payload bytes of binary messages (WS) or body bytes (HTTP). */
  readonly bytes: number;
  readonly messages: number;
  /** fragcast `skip` messages received (docs/protocol.md): a viewer was behind and missed fragments. */
  readonly skips: number;
  /** Per-viewer payload bytes, to spot viewers that got less than others. */
  readonly perViewerBytes: number[];
  /** Histogram of receive time minus prft wallclock (producer → viewer) since the last reset. */
  readonly delays: Uint32Array;
  /** Pairs [prft wallclock ms, receive ms] from the sampled viewers since the last reset. */
  readonly samples: Float64Array;
}

const NTP_UNIX_OFFSET_S = 2_208_988_800;
/** How fragcast's skip message begins (JSON.stringify of { type: 'skip', skipped }). */
const SKIP_MESSAGE = '{"type":"skip"';
const options = workerData as ViewerWorkerOptions;
const delays = new Histogram();
let connected = 0;
let connects = 0;
let disconnects = 0;
let errors = 0;
let totalBytes = 0;
let totalMessages = 0;
let totalSkips = 0;
let stopping = false;
const viewers: Viewer[] = [];
/** Up to 1M (prft, receive) pairs per worker per window: bounded memory however long the window. */
const samples = new Float64Array(2_000_000);
let sampleCount = 0;

/**
 * What every socket of this worker reads into. A Buffer per read (net's default) cost each worker
 * 14-16 % of its time in the garbage collector at 2,000 viewers of 4 Mbit/s (CPU profile of the
 * workers); bytes kept past a read are copied out of it. A throttled viewer reads at most a tenth of
 * a second's budget at a time: a larger read would spend seconds of its budget at once and pause it
 * for as long, and the slow viewers, connected together, would pause and resume together.
 */
const READ_BUFFER = Buffer.allocUnsafe(options.readBytesPerSecond > 0 ? Math.min(64 * 1024, Math.max(1024, Math.round(options.readBytesPerSecond / 10))) : 256 * 1024);

/**
 * The first bytes of something that arrives in pieces (a frame header, a message's or a box's start),
 * copied into a buffer of its own: the read buffer they come from is reused by the next read.
 */
class Prefix {
  readonly #bytes: Buffer;
  #length = 0;

  constructor(size: number) {
    this.#bytes = Buffer.alloc(size);
  }

  get length(): number {
    return this.#length;
  }

  /** What has been gathered so far. Valid until the next add() or clear(). */
  get bytes(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Copies `source` from `from` on, until `upTo` bytes are gathered in all; returns how many bytes it took. */
  add(source: Buffer, from = 0, upTo = this.#bytes.length): number {
    const taken = source.copy(this.#bytes, this.#length, from, Math.max(from, Math.min(source.length, from + upTo - this.#length)));
    this.#length += taken;
    return taken;
  }

  clear(): void {
    this.#length = 0;
  }
}

/** Producer wallclock of a prft box whose first 24 bytes are in `head`, or 0. */
function prftWallclock(head: Buffer): number {
  if (head.length < 24 || head.toString('latin1', 4, 8) !== 'prft') return 0;
  return (head.readUInt32BE(16) - NTP_UNIX_OFFSET_S) * 1000 + (head.readUInt32BE(20) / 0x1_0000_0000) * 1000;
}

/**
 * Walks the top-level MP4 boxes of bytes fed in pieces (a chunked body, or
 * a WebSocket message: one fragment or a run of them), and hands the first
 * 24 bytes of each `prft` box to `onPrft`.
 */
class BoxWalker {
  #left = 0;
  readonly #head = new Prefix(24);
  readonly #onPrft: (head: Buffer) => void;
  /** A box size it cannot walk past (0, 64-bit or smaller than its header): nothing more is read until clear(). */
  #lost = false;

  constructor(onPrft: (head: Buffer) => void) {
    this.#onPrft = onPrft;
  }

  clear(): void {
    this.#left = 0;
    this.#head.clear();
    this.#lost = false;
  }

  feed(piece: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to && !this.#lost) {
      if (this.#left === 0) {
        // The header first (a box may be as small as 8 bytes: an empty `free`), then a prft's fields.
        const source = piece.subarray(0, to);
        at += this.#head.add(source, at, 8);
        if (this.#head.length < 8) continue;
        const isPrft = this.#head.bytes.toString('latin1', 4, 8) === 'prft';
        if (isPrft) at += this.#head.add(source, at, 24);
        const head = this.#head.bytes;
        if (isPrft && head.length < 24) continue;
        const size = head.readUInt32BE(0);
        if (size < head.length) {
          this.#lost = true;
          return;
        }
        if (isPrft) this.#onPrft(head);
        this.#left = size - head.length;
        this.#head.clear();
        continue;
      }
      const take = Math.min(this.#left, to - at);
      this.#left -= take;
      at += take;
    }
  }
}

abstract class Viewer {
  socket: Socket | undefined;
  bytes = 0;
  #budget = 0;
  #budgetAt = 0;
  /** The HTTP response head so far, or undefined once it has passed. */
  #responseHead: Buffer | undefined;
  /** The status the server must answer with: '101' for the WebSocket upgrade, '200' for the chunked stream. */
  protected abstract readonly okStatus: string;

  constructor(readonly index: number) {}

  open(): void {
    const socket = connect({
      port: options.port,
      host: options.host,
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number, buffer: Uint8Array): boolean => {
          const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, length);
          const body = this.#afterHead(chunk);
          if (body?.length) this.consume(body);
          if (options.readBytesPerSecond > 0) this.#throttle(socket, length);
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    this.#responseHead = Buffer.alloc(0);
    this.reset();
    let wasConnected = false;
    socket.once('connect', () => {
      wasConnected = true;
      connects++;
      connected++;
      socket.write(this.request());
      if (options.lifeMs) {
        const [min, max] = options.lifeMs;
        setTimeout(() => socket.destroy(), min + Math.random() * (max - min));
      }
    });
    socket.once('error', () => errors++);
    socket.once('close', () => {
      if (wasConnected) {
        connected--;
        disconnects++;
      }
      if (!stopping && options.lifeMs) setTimeout(() => this.open(), 10);
    });
  }

  /** Strips the response head: the body bytes of `chunk`, or undefined while the head is incomplete, or when its status is not okStatus (the socket is closed). */
  #afterHead(chunk: Buffer): Buffer | undefined {
    if (!this.#responseHead) return chunk;
    // concat copies: the head is kept past this read, and `chunk` is the shared read buffer.
    const buffered = Buffer.concat([this.#responseHead, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) {
      this.#responseHead = buffered;
      return undefined;
    }
    if (!buffered.toString('latin1', 0, 12).includes(this.okStatus)) {
      errors++;
      this.socket?.destroy();
      return undefined;
    }
    this.#responseHead = undefined;
    return buffered.subarray(end + 4);
  }

  /** Token bucket: pause the socket until the viewer has "earned" the bytes it just read. */
  #throttle(socket: Socket, length: number): void {
    const now = performance.now();
    this.#budget = Math.min(options.readBytesPerSecond, this.#budget + ((now - this.#budgetAt) / 1000) * options.readBytesPerSecond) - length;
    this.#budgetAt = now;
    if (this.#budget < 0) {
      socket.pause();
      setTimeout(() => socket.resume(), (-this.#budget / options.readBytesPerSecond) * 1000);
    }
  }

  protected countMessage(): void {
    totalMessages++;
  }

  /** A fragment's `prft`, just received: one delay sample. */
  protected countPrft(head: Buffer): void {
    const wallclock = prftWallclock(head);
    if (!wallclock) return;
    const now = Date.now();
    delays.record(now - wallclock);
    if (this.index % options.sampleEvery === 0 && sampleCount < samples.length) {
      samples[sampleCount++] = wallclock;
      samples[sampleCount++] = now;
    }
  }

  protected countBytes(n: number): void {
    this.bytes += n;
    totalBytes += n;
  }

  abstract request(): string;
  abstract reset(): void;
  /** Body bytes, after the response head. */
  abstract consume(chunk: Buffer): void;
}

/**
 * Reads server frames (unmasked, RFC 6455 §5.2); answers pings; counts binary payloads. A message may
 * come in fragments (§5.4: a first frame with its opcode, continuation frames, FIN on the last), with
 * control frames between them.
 */
class WsViewer extends Viewer {
  protected readonly okStatus = '101';
  /** The frame header being read: 2 bytes, + 2 or 8 of extended length (RFC 6455 §5.2). */
  readonly #header = new Prefix(10);
  #remaining = 0;
  #inFrame = false;
  /** The frame being read: its opcode (0 for a continuation) and FIN bit. */
  #frameOpcode = 0;
  #frameFin = false;
  /** The data message being read: the opcode of its first frame; a text message's first bytes; a binary message's boxes. */
  #messageOpcode = 0;
  readonly #head = new Prefix(24);
  readonly #boxes = new BoxWalker((head) => this.countPrft(head));
  /** A control frame's payload: at most 125 bytes (§5.5). */
  readonly #control = new Prefix(125);

  request(): string {
    return `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  }

  reset(): void {
    this.#header.clear();
    this.#remaining = 0;
    this.#inFrame = false;
    this.#messageOpcode = 0;
  }

  consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#inFrame) {
        const header = this.#header;
        at += header.add(chunk, at, 2);
        if (header.length < 2) return;
        const len7 = header.bytes[1]! & 0x7f;
        const size = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        at += header.add(chunk, at, size);
        if (header.length < size) return;
        const bytes = header.bytes;
        this.#frameOpcode = bytes[0]! & 0x0f;
        this.#frameFin = (bytes[0]! & 0x80) !== 0;
        this.#remaining = len7 === 126 ? bytes.readUInt16BE(2) : len7 === 127 ? Number(bytes.readBigUInt64BE(2)) : len7;
        header.clear();
        this.#inFrame = true;
        if (this.#frameOpcode >= 8) {
          this.#control.clear();
        } else if (this.#frameOpcode !== 0) {
          this.#messageOpcode = this.#frameOpcode;
          this.#head.clear();
          this.#boxes.clear();
        }
        if (this.#remaining === 0) this.#finishFrame();
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      if (this.#frameOpcode >= 8) {
        this.#control.add(chunk.subarray(at, at + take));
      } else if (this.#messageOpcode === 2) {
        this.countBytes(take);
        this.#boxes.feed(chunk, at, at + take);
      } else if (this.#head.length < 24) {
        this.#head.add(chunk.subarray(at, at + take));
      }
      this.#remaining -= take;
      at += take;
      if (this.#remaining === 0) this.#finishFrame();
    }
  }

  #finishFrame(): void {
    this.#inFrame = false;
    if (this.#frameOpcode === 9) this.#pong(this.#control.bytes);
    else if (this.#frameOpcode === 8) this.socket?.end();
    else if (this.#frameOpcode < 8 && this.#frameFin) {
      if (this.#messageOpcode === 2) this.countMessage();
      else if (this.#messageOpcode === 1 && this.#head.bytes.toString('latin1').startsWith(SKIP_MESSAGE)) totalSkips++;
      this.#messageOpcode = 0;
    }
  }

  /** Clients must mask (§5.3); a zero mask keeps the payload as is. */
  #pong(payload: Buffer): void {
    this.socket?.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  }
}

/** Reads a chunked HTTP body (RFC 9112 §7.1) and walks the MP4 boxes inside it. */
class HttpViewer extends Viewer {
  protected readonly okStatus = '200';
  #buffer: Buffer = Buffer.alloc(0);
  #chunkLeft = 0;
  readonly #boxes = new BoxWalker((head) => {
    this.countMessage();
    this.countPrft(head);
  });

  request(): string {
    return `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}\r\n\r\n`;
  }

  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#chunkLeft = 0;
    this.#boxes.clear();
  }

  consume(chunk: Buffer): void {
    const data: Buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    this.#buffer = Buffer.alloc(0);
    let at = 0;
    while (at < data.length) {
      if (this.#chunkLeft === 0) {
        // A chunk-size line "HEX\r\n" (preceded by the CRLF that ended the previous chunk).
        const lineEnd = data.indexOf('\r\n', at + (data[at] === 0x0d ? 2 : 0));
        if (lineEnd < 0) {
          this.#buffer = Buffer.from(data.subarray(at));
          return;
        }
        const line = data.toString('latin1', at, lineEnd).trim();
        at = lineEnd + 2;
        if (!line) continue;
        this.#chunkLeft = parseInt(line, 16);
        if (this.#chunkLeft === 0) return;
        continue;
      }
      const take = Math.min(this.#chunkLeft, data.length - at);
      this.#body(data.subarray(at, at + take));
      this.#chunkLeft -= take;
      at += take;
    }
  }

  #body(piece: Buffer): void {
    this.countBytes(piece.length);
    this.#boxes.feed(piece, 0, piece.length);
  }
}

function start(): void {
  const interval = 1000 / Math.max(1, options.connectPerSecond);
  for (let i = 0; i < options.clients; i++) {
    const viewer = options.protocol === 'ws' ? new WsViewer(i) : new HttpViewer(i);
    viewers.push(viewer);
    setTimeout(() => viewer.open(), i * interval);
  }
}

parentPort!.on('message', (message: { type: string }) => {
  if (message.type === 'reset') {
    delays.reset();
    sampleCount = 0;
    for (const viewer of viewers) viewer.bytes = 0;
    totalBytes = 0;
    totalMessages = 0;
    totalSkips = 0;
  } else if (message.type === 'report') {
    const report: ViewerWorkerReport = {
      type: 'report',
      connected,
      connects,
      disconnects,
      errors,
      bytes: totalBytes,
      messages: totalMessages,
      skips: totalSkips,
      perViewerBytes: viewers.map((v) => v.bytes),
      delays: delays.counts.slice(),
      samples: samples.slice(0, sampleCount),
    };
    parentPort!.postMessage(report);
  } else if (message.type === 'stop') {
    stopping = true;
    for (const viewer of viewers) viewer.socket?.destroy();
    setTimeout(() => process.exit(0), 50);
  }
});

start();

/**
 * A mixed attack on a running fragcast, from loopback addresses other than
 * 127.0.0.1 (127.0.0.2 and up: other clients, as far as fragcast can tell):
 * bad publish keys, traversal paths, oversized headers, garbage ingest
 * bodies, forged links, missing admin tokens, malformed JSON, bad HLS
 * directives, WebSocket floods (binary, oversized, too many messages),
 * slowloris sockets and raw garbage. Bounded in count, concurrency and time;
 * loopback only. Every answer is recorded with its status and code.
 */
import net from 'node:net';
import WebSocket from 'ws';
import { errorCode, request } from '../helpers/http.ts';

export interface AttackTarget {
  readonly port: number;
  /** A push stream and a wrong and a right key for it. */
  readonly pushStream: string;
  readonly pushKey: string;
  /** A public stream (WebSocket floods go there) and a signed one. */
  readonly publicStream: string;
  readonly signedStream: string;
  readonly adminToken: string;
}

export interface AttackOptions {
  readonly requests: number;
  readonly concurrency: number;
  /** Raw sockets that send half a request line and hold it (slowloris). */
  readonly slowSockets: number;
  readonly slowHoldMs: number;
}

/** What came back: `status` is the HTTP status, or the WebSocket close code, or 0 for a connection ended without an answer. */
export interface AttackOutcome {
  readonly kind: string;
  readonly status: number;
  readonly code: string | undefined;
  /** Why there was no answer, when the client saw an error. */
  readonly error?: string;
}

export interface AttackReport {
  readonly outcomes: AttackOutcome[];
  readonly byKind: Record<string, Record<string, number>>;
  readonly seconds: number;
}

type Attack = (target: AttackTarget, from: string) => Promise<AttackOutcome>;

const base = (target: AttackTarget): string => `http://127.0.0.1:${target.port}`;

function http(kind: string, path: string, options: Parameters<typeof request>[1] = {}): Attack {
  return async (target, from) => {
    try {
      const response = await request(`${base(target)}${path}`, { localAddress: from, maxBytes: 64 * 1024, timeoutMs: 8000, ...options });
      return { kind, status: response.status, code: errorCode(response) };
    } catch (error) {
      return { kind, status: 0, code: undefined, error: (error as Error).message };
    }
  };
}

/** A WebSocket viewer that sends `messages` and reports the close code it gets. */
function wsFlood(kind: string, messages: (socket: WebSocket) => void): Attack {
  return (target, from) =>
    new Promise((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${target.port}/streams/${target.publicStream}/ws`, { localAddress: from });
      const timer = setTimeout(() => socket.terminate(), 5000);
      socket.on('open', () => messages(socket));
      socket.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        socket.terminate();
        resolve({ kind, status: res.statusCode ?? 0, code: undefined });
      });
      socket.on('error', () => {});
      socket.on('close', (code) => {
        clearTimeout(timer);
        resolve({ kind, status: code, code: undefined });
      });
    });
}

/** Bytes on a raw socket; the answer's status, or 0 when the server ends the connection without one. */
function raw(kind: string, bytes: Buffer | string): Attack {
  return (target, from) =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: target.port, localAddress: from }, () => socket.write(bytes));
      let answer = '';
      const timer = setTimeout(() => socket.destroy(), 15_000);
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n\r\n')) socket.destroy();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
        resolve({ kind, status, code: /"code":"([A-Z_]+)"/.exec(answer)?.[1] });
      });
    });
}

const garbage = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) & 0xff));

/** The attacks, each with a weight; drawn in turn so every run has every kind. */
function attacks(target: AttackTarget): [Attack, number][] {
  const { pushStream, pushKey, signedStream, publicStream, adminToken } = target;
  const now = Math.floor(Date.now() / 1000);
  return [
    [http('bad publish key', `/ingest/${pushStream}`, { method: 'PUT', headers: { Authorization: 'Bearer not-the-key-0123' }, body: garbage(2048) }), 3],
    [http('publish key in query, wrong', `/ingest/${pushStream}?key=guess`, { method: 'POST', body: garbage(512) }), 1],
    [http('garbage ingest body', `/ingest/${pushStream}`, { method: 'PUT', headers: { Authorization: `Bearer ${pushKey}` }, body: garbage(64 * 1024) }), 2],
    [http('traversal: stream name', '/streams/..%2f..%2fetc%2fpasswd/live.mp4'), 1],
    [http('traversal: raw dots', '/streams/../../etc/passwd'), 1],
    [http('traversal: asset', '/assets/..%2f..%2fpackage.json'), 1],
    [http('traversal: HLS file', `/streams/${publicStream}/hls/..%2f..%2f..%2fpackage.json`), 1],
    [http('traversal: session id', '/api/sessions/..%2F..%2Fconfig', { headers: { Authorization: `Bearer ${adminToken}` } }), 1],
    [http('oversized headers', '/healthz', { headers: { 'X-Junk': 'j'.repeat(32 * 1024) } }), 2],
    [http('oversized cookie', `/streams/${publicStream}/index.m3u8`, { headers: { Cookie: `a=${'c'.repeat(20_000)}` } }), 1],
    [http('link missing', `/streams/${signedStream}/live.mp4`), 1],
    [http('link forged', `/streams/${signedStream}/live.mp4?exp=${now + 3600}&sig=${'A'.repeat(43)}`), 2],
    [http('link expired', `/streams/${signedStream}/index.m3u8?exp=${now - 10}&sig=${'B'.repeat(64)}`), 1],
    [http('link malformed', `/streams/${signedStream}/ws?exp=1e99&sig=%00%0d%0a`), 1],
    [http('admin token missing', '/api/config'), 2],
    [http('admin token wrong', '/api/sessions', { headers: { Authorization: 'Bearer wrong-wrong-wrong-0123' } }), 2],
    [http('admin kick unknown', '/api/sessions/zzz', { method: 'DELETE', headers: { Authorization: `Bearer ${adminToken}` } }), 1],
    [http('malformed JSON', `/api/streams/${publicStream}/markers`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' }, body: '{"label": ' }), 1],
    [http('JSON body too large', `/api/streams/${publicStream}/markers`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' }, body: `{"label":"${'x'.repeat(10_000)}"}` }), 1],
    [http('wrong content type', `/api/streams/${publicStream}/links`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'text/plain' }, body: 'ttl=1h' }), 1],
    [http('bad HLS directive', `/streams/${publicStream}/index.m3u8?_HLS_msn=abc&_HLS_part=-1`), 1],
    [http('HLS far future', `/streams/${publicStream}/index.m3u8?_HLS_msn=999999999999999`), 1],
    [http('HLS unknown part', `/streams/${publicStream}/hls/zzzz-p99999999.m4s`), 1],
    [http('invalid stream name', '/streams/NOT_VALID!/live.mp4'), 1],
    [http('unknown stream', '/streams/nosuchstream/ws'), 1],
    [http('unknown route', '/wp-admin/setup.php'), 1],
    [http('wrong method', `/streams/${publicStream}/live.mp4`, { method: 'DELETE' }), 1],
    [http('bad snapshot width', `/streams/${publicStream}/snapshot.jpg?width=99999999999`), 1],
    [wsFlood('ws binary flood', (socket) => socket.send(garbage(1024))), 2],
    [wsFlood('ws oversized message', (socket) => socket.send('x'.repeat(8192))), 1],
    [wsFlood('ws message flood', (socket) => {
      for (let i = 0; i < 60; i++) socket.send('{"type":"ping"}');
    }), 2],
    [raw('raw garbage', garbage(4096)), 1],
  ];
}

/** Holds `count` half-sent requests open for `holdMs`, then closes them. */
async function slowloris(target: AttackTarget, count: number, holdMs: number): Promise<AttackOutcome[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<AttackOutcome>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port: target.port, localAddress: `127.0.0.${10 + (i % 5)}` }, () => socket.write('GET /streams/x/live.mp4 HTTP/1.1\r\nHost: x\r\nX-a: '));
          let ended = false;
          socket.on('error', () => {});
          socket.on('close', () => {
            ended = true;
            resolve({ kind: 'slowloris', status: 0, code: undefined });
          });
          setTimeout(() => {
            if (!ended) socket.destroy();
          }, holdMs);
        }),
    ),
  );
}

/** Runs `options.requests` attacks of every kind at `options.concurrency`, and the slow sockets beside them. */
export async function runAttack(target: AttackTarget, options: AttackOptions): Promise<AttackReport> {
  const started = performance.now();
  const pool = attacks(target).flatMap(([attack, weight]) => Array<Attack>(weight).fill(attack));
  const outcomes: AttackOutcome[] = [];
  let next = 0;
  const worker = async (index: number): Promise<void> => {
    const from = `127.0.0.${2 + (index % 6)}`;
    while (next < options.requests) {
      const attack = pool[next++ % pool.length]!;
      outcomes.push(await attack(target, from));
    }
  };
  const slow = slowloris(target, options.slowSockets, options.slowHoldMs);
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  outcomes.push(...(await slow));
  const byKind: Record<string, Record<string, number>> = {};
  for (const { kind, status, code } of outcomes) {
    const key = code ? `${status} ${code}` : String(status);
    (byKind[kind] ??= {})[key] = (byKind[kind]![key] ?? 0) + 1;
  }
  return { outcomes, byKind, seconds: (performance.now() - started) / 1000 };
}

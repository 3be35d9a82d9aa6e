/**
 * Plain HTTP(S) requests for tests that need what fetch cannot do: pick the
 * local address (127.0.0.2 is another client on loopback), send any header,
 * trust a test CA, or stop reading a live body after its first bytes.
 */
import http from 'node:http';
import https from 'node:https';

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RawRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** The client's own address (any of 127.0.0.0/8 on Linux). */
  readonly localAddress?: string;
  /** PEM of the CA to trust, for https URLs. */
  readonly ca?: string | Buffer;
  /** Stop after this many body bytes (a live body never ends). */
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

export function request(url: string, options: RawRequest = {}): Promise<RawResponse> {
  const { method = 'GET', headers = {}, body, localAddress, ca, maxBytes = Infinity, timeoutMs = 10_000 } = options;
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, { method, headers, localAddress, ca, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= maxBytes) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', () => done());
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON error code of an answer, or undefined when the body is not the one error shape. */
export function errorCode(response: RawResponse): string | undefined {
  try {
    return (JSON.parse(response.body.toString()) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

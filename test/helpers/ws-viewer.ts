import WebSocket from 'ws';

export interface Received {
  readonly at: number;
  readonly binary: boolean;
  readonly data: Buffer;
}

/** A WebSocket viewer that records every message with its arrival time. */
export class WsViewer {
  readonly socket: WebSocket;
  readonly messages: Received[] = [];
  readonly startedAt = performance.now();
  closeCode: number | undefined;
  closeReason = '';
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on('message', (data: Buffer, binary) => this.messages.push({ at: performance.now(), binary, data }));
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      });
    });
  }

  get binaries(): Buffer[] {
    return this.messages.filter((m) => m.binary).map((m) => m.data);
  }

  json(): { type: string; [key: string]: unknown }[] {
    return this.messages.filter((m) => !m.binary).map((m) => JSON.parse(m.data.toString()) as { type: string });
  }

  close(): void {
    this.socket.terminate();
  }
}

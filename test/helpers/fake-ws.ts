import type { WsTransport } from '../../server/outputs/ws-mse.ts';

/** A frame of a message sent in several (RFC 6455 §5.4): its first, a middle one, or its last. */
export type FramePart = 'first' | 'middle' | 'last';

/** What WsMseSession uses of a uWS WebSocket, recorded; `buffered` plays uWS's per-socket backpressure buffer. */
export class FakeWebSocket implements WsTransport {
  sent: { message: Uint8Array | string; binary: boolean; part?: FramePart }[] = [];
  buffered = 0;
  send(message: Uint8Array | string, isBinary = false): number {
    this.sent.push({ message, binary: isBinary });
    return 1;
  }
  sendFirstFragment(message: Uint8Array, isBinary = false): boolean {
    this.sent.push({ message, binary: isBinary, part: 'first' });
    return true;
  }
  sendFragment(message: Uint8Array): boolean {
    this.sent.push({ message, binary: true, part: 'middle' });
    return true;
  }
  sendLastFragment(message: Uint8Array): boolean {
    this.sent.push({ message, binary: true, part: 'last' });
    return true;
  }
  getBufferedAmount(): number {
    return this.buffered;
  }
  end(): void {}
}

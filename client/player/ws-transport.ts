import type { ServerMessage } from '../../server/protocol.ts';

export interface TransportHandlers {
  onOpen(): void;
  onMessage(message: ServerMessage): void;
  /** A binary message: whole MP4 boxes (the init segment after an init message, else one fragment or a run of them). */
  onBinary(data: ArrayBuffer): void;
  onClose(code: number, reason: string): void;
  /** A message outside docs/protocol.md (text that is not JSON); it is skipped. */
  onProtocolError(why: string): void;
}

export interface TransportStats {
  readonly bytes: number;
  readonly messages: number;
}

/**
 * The WebSocket transport of docs/protocol.md. Like hls.js's loaders it has a
 * small surface (load / abort / stats) so other transports can stand beside it.
 */
export class WsTransport {
  #socket: WebSocket | undefined;
  #bytes = 0;
  #messages = 0;

  get stats(): TransportStats {
    return { bytes: this.#bytes, messages: this.#messages };
  }

  load(url: string, handlers: TransportHandlers): void {
    this.abort();
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      this.#messages++;
      if (typeof event.data === 'string') {
        this.#bytes += event.data.length;
        let message: ServerMessage;
        try {
          message = JSON.parse(event.data) as ServerMessage;
        } catch (error) {
          handlers.onProtocolError(`a text message is not JSON (${String(error)}): ${event.data.slice(0, 80)}`);
          return;
        }
        handlers.onMessage(message);
      } else {
        this.#bytes += event.data.byteLength;
        handlers.onBinary(event.data);
      }
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      handlers.onClose(event.code, event.reason);
    };
  }

  send(message: object): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  abort(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close();
    }
  }
}

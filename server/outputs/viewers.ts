import type { ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Marker } from '../streams/markers.ts';
import type { Stream } from '../streams/stream.ts';
import type { OutputKind, ViewerSession } from './viewer-session.ts';

interface StreamAudience {
  readonly sessions: Set<ViewerSession>;
  readonly detach: () => void;
}

/**
 * Every viewer session, and the fan-out from streams to them. A stream gets
 * one subscription per hub (not one per viewer), taken with its first
 * viewer and dropped with its last; each batch of fragments is then handed
 * to every session of that stream.
 */
export class Viewers {
  readonly #sessions = new Map<string, ViewerSession>();
  readonly #audiences = new Map<Stream, StreamAudience>();
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): ViewerSession | undefined {
    return this.#sessions.get(id);
  }

  list(): IterableIterator<ViewerSession> {
    return this.#sessions.values();
  }

  /** Viewers of a stream, optionally of one output only. */
  count(stream: Stream, output?: OutputKind): number {
    const audience = this.#audiences.get(stream);
    if (!audience) return 0;
    if (!output) return audience.sessions.size;
    let n = 0;
    for (const session of audience.sessions) if (session.output === output) n++;
    return n;
  }

  /** Registers a session, starts it (init + newest GOP), then feeds it live fragments until it closes. */
  add(session: ViewerSession): void {
    this.#sessions.set(session.id, session);
    const audience = this.#audiences.get(session.stream) ?? this.#attach(session.stream);
    audience.sessions.add(session);
    session.once('close', (reason) => this.#remove(session, reason));
    this.#log.info(
      { session: session.id, stream: session.stream.name, output: session.output, remote: session.remoteAddress },
      'viewer connected',
    );
    session.start();
  }

  /** Ends every session with `reason` (e.g. SERVER_SHUTTING_DOWN). */
  closeAll(reason: ErrorCode): void {
    for (const session of [...this.#sessions.values()]) session.close(reason);
  }

  #attach(stream: Stream): StreamAudience {
    const sessions = new Set<ViewerSession>();
    const onFragments = (fragments: readonly Fragment[]): void => {
      // One clock read per batch, not per viewer.
      const now = Date.now();
      for (const session of sessions) session.deliver(fragments, now);
    };
    const onInit = (init: InitRecord): void => {
      for (const session of sessions) session.onInit(init);
    };
    const onMarker = (marker: Marker): void => {
      for (const session of sessions) session.onMarker(marker);
    };
    const onClose = (): void => {
      for (const session of [...sessions]) session.close('STREAM_CLOSED');
    };
    stream.on('fragments', onFragments).on('init', onInit).on('marker', onMarker).on('close', onClose);
    const audience: StreamAudience = {
      sessions,
      detach: () => stream.off('fragments', onFragments).off('init', onInit).off('marker', onMarker).off('close', onClose),
    };
    this.#audiences.set(stream, audience);
    return audience;
  }

  #remove(session: ViewerSession, reason: string): void {
    this.#sessions.delete(session.id);
    const audience = this.#audiences.get(session.stream);
    if (audience) {
      audience.sessions.delete(session);
      if (audience.sessions.size === 0) {
        audience.detach();
        this.#audiences.delete(session.stream);
      }
    }
    this.#log.info(
      {
        session: session.id,
        stream: session.stream.name,
        output: session.output,
        reason,
        durationMs: Date.now() - session.connectedAt,
        bytes: session.bytesSent,
        fragments: session.fragmentsSent,
        skipped: session.gate.skippedFragments,
      },
      'viewer disconnected',
    );
  }
}

import type { ErrorCode } from '../errors.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Stream } from '../streams/stream.ts';
import type { KeyframeGateOptions } from './keyframe-gate.ts';
import { ViewerSession, type OutputKind, type SessionSnapshot } from './viewer-session.ts';

/** What a fan-out thread reports of one of its viewers (server/http/fanout/): the counters of its snapshot, no more (8,000 of them 4 times a second). */
export type RemoteCounters = Pick<SessionSnapshot, 'bytesSent' | 'fragmentsSent' | 'skippedFragments' | 'skipEpisodes' | 'lagMs'>;

/**
 * The origin-side twin of a viewer that a fan-out thread serves: the thread
 * owns the socket and sends the media from its replica of the stream; this
 * session stands for it here, so that the API lists it, limits count it,
 * kicks reach it, metrics add up its counters and the stream's demand
 * includes it, exactly as for a viewer of this thread.
 *
 * It sends nothing itself: start() does not run the instant start, so its
 * init generation stays 0 and deliver() returns at once.
 */
export class RemoteViewerSession extends ViewerSession {
  readonly output: OutputKind;
  readonly #kick: (reason: ErrorCode) => void;

  constructor(output: OutputKind, stream: Stream, remoteAddress: string, gate: Partial<KeyframeGateOptions>, kick: (reason: ErrorCode) => void) {
    super(stream, remoteAddress, gate);
    this.output = output;
    this.#kick = kick;
  }

  /** The thread runs the instant start. */
  override start(): void {}

  /** Takes the counters the thread reported. */
  report(counters: RemoteCounters): void {
    this.bytesSent = counters.bytesSent;
    this.fragmentsSent = counters.fragmentsSent;
    this.lagMs = counters.lagMs;
    this.gate.mirror(counters.skippedFragments, counters.skipEpisodes);
  }

  protected bufferedBytes(): number {
    return 0;
  }

  protected write(_first: Fragment, _bytes: Buffer): void {}

  protected batched(work: () => void): void {
    work();
  }

  protected writeInit(_init: InitRecord): boolean {
    return true;
  }

  protected endTransport(reason: ErrorCode): void {
    this.#kick(reason);
  }
}

import type { ErrorCode } from '../errors.ts';
import { SafeEmitter } from '../safe-emitter.ts';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Marker } from '../streams/markers.ts';
import type { Stream } from '../streams/stream.ts';
import { joinedRun, MAX_RUN_BYTES } from './fragment-runs.ts';
import { CLOSE, KeyframeGate, SEND, type KeyframeGateOptions } from './keyframe-gate.ts';

/** Every kind of viewer output; stats, the API and metrics list viewers per kind in this order. */
export const OUTPUT_KINDS = ['ws', 'http-mp4'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Told the age (ms since the fragment arrived) of each keyframe a session sends: once per viewer per GOP. */
export type KeyframeSentObserver = (session: ViewerSession, ageMs: number) => void;

/** Why a session ended: a registry code when fragcast ended it, 'peer' when the viewer went away. */
export type CloseReason = ErrorCode | 'peer';

export interface SessionEvents {
  [event: string]: unknown[];
  close: [CloseReason];
}

export interface SessionSnapshot {
  readonly id: string;
  readonly output: OutputKind;
  readonly stream: string;
  readonly remoteAddress: string;
  readonly connectedAt: number;
  readonly bytesSent: number;
  readonly fragmentsSent: number;
  readonly skippedFragments: number;
  readonly skipEpisodes: number;
  /** Age (ms) of the newest fragment sent, measured when it was sent. */
  readonly lagMs: number;
}

let sessionCounter = 0;
const NO_FRAGMENTS: readonly Fragment[] = Object.freeze([]);

/**
 * One viewer of one stream through one output. Outputs differ only in how
 * bytes reach the wire; the admission policy (KeyframeGate), counters,
 * lifecycle and snapshot are shared here, so stats, limits and kicks work the
 * same for every kind of viewer.
 */
export abstract class ViewerSession extends SafeEmitter<SessionEvents> {
  readonly id: string;
  abstract readonly output: OutputKind;
  readonly stream: Stream;
  readonly remoteAddress: string;
  readonly connectedAt = Date.now();
  readonly gate: KeyframeGate;
  bytesSent = 0;
  fragmentsSent = 0;
  lagMs = 0;
  /** Set by whoever registers the session (Viewers) to measure fragment age at send. */
  keyframeSent: KeyframeSentObserver | undefined;
  /** Generation of the init this viewer was last sent. */
  protected sentGeneration = 0;
  #closed = false;
  #started = false;

  /** `id`: the one its origin-side twin got, for a viewer served by a fan-out thread; else a fresh one. */
  constructor(stream: Stream, remoteAddress: string, gate: Partial<KeyframeGateOptions> = {}, id?: string) {
    super();
    this.id = id ?? `v${(++sessionCounter).toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
    this.stream = stream;
    this.remoteAddress = remoteAddress;
    this.gate = new KeyframeGate(gate);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The start (init, GOP) has run: until then the session is registered but sends no media (the start brings the current init and GOP). */
  protected get started(): boolean {
    return this.#started;
  }

  /** Bytes waiting to go out on this viewer's connection, as the gate should see them. */
  protected abstract bufferedBytes(): number;
  /**
   * Writes fragments the gate admitted: `bytes` are `first`'s own, or, for a
   * run of consecutive live fragments that came in one batch, theirs joined
   * (fragment-runs.ts). A keyframe is always first of its run.
   */
  protected abstract write(first: Fragment, bytes: Buffer): void;
  /** Runs `work`, one batch of writes. A transport that gains from it corks the connection, so the batch goes out in one write. */
  protected abstract batched(work: () => void): void;
  /** Sends a new init. Returns false when this output cannot continue across inits and the session must end. */
  protected abstract writeInit(init: InitRecord): boolean;
  /** Ends the transport from the server side; `reason` is the registry code to tell the viewer. */
  protected abstract endTransport(reason: ErrorCode): void;
  /** Called when the gate resumes a viewer that had been skipping, before the keyframe is written. */
  protected onResume(_skippedInEpisode: number): void {}
  /** A marker was added to the stream's timeline; outputs with a way to tell the viewer override this. */
  onMarker(_marker: Marker): void {}

  /** Sends the current init and the newest GOP: the instant start. */
  start(): void {
    this.#started = true;
    const init = this.stream.init;
    if (!init) return;
    this.batched(() => {
      if (!this.#sendInit(init)) return;
      const gop = this.stream.cache.newest;
      // Fragment by fragment: a fresh connection takes little at once, and what waits in the SendQueue waits by reference.
      if (gop) this.#admit(gop.fragments, Date.now(), false);
    });
  }

  onInit(init: InitRecord): void {
    if (this.#closed || !this.#started) return;
    this.batched(() => this.#sendInit(init));
  }

  /** The per-fragment hot path: gate each fragment, write the admitted ones, one batch per call. */
  deliver(fragments: readonly Fragment[], nowMs: number): void {
    if (this.#closed || this.sentGeneration === 0) return;
    this.#batch = fragments;
    this.#batchNow = nowMs;
    // A function bound once per session, not a closure per call: no allocation per viewer per batch.
    this.batched(this.#admitBatch);
    this.#batch = NO_FRAGMENTS;
  }

  #batch: readonly Fragment[] = NO_FRAGMENTS;
  #batchNow = 0;
  readonly #admitBatch = (): void => this.#admit(this.#batch, this.#batchNow, true);

  /** Ends the session. From the server side, tells the viewer `reason`; idempotent. */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    if (reason !== 'peer') this.endTransport(reason);
    this.safeEmit('close', reason);
    this.removeAllListeners();
  }

  snapshot(): SessionSnapshot {
    return {
      id: this.id,
      output: this.output,
      stream: this.stream.name,
      remoteAddress: this.remoteAddress,
      connectedAt: this.connectedAt,
      bytesSent: this.bytesSent,
      fragmentsSent: this.fragmentsSent,
      skippedFragments: this.gate.skippedFragments,
      skipEpisodes: this.gate.skipEpisodes,
      lagMs: this.lagMs,
    };
  }

  #sendInit(init: InitRecord): boolean {
    if (!this.writeInit(init)) {
      this.close('STREAM_REINIT');
      return false;
    }
    this.sentGeneration = init.generation;
    this.gate.waitForKeyframe();
    return true;
  }

  /**
   * Gates each fragment and writes the admitted ones. With `joinRuns`, the
   * admitted fragments that follow one another in the batch go as one run, up
   * to MAX_RUN_BYTES: a batch holds several fragments only when the source's
   * output came faster than the server read it (a saturated server reads its
   * source late), and one write per viewer for the run, instead of one per
   * fragment, is what lets it catch up.
   */
  #admit(fragments: readonly Fragment[], nowMs: number, joinRuns: boolean): void {
    const gate = this.gate;
    // The gate counts the open run as waiting, though it usually goes out at once: half its limit at most, so
    // that a viewer with nothing waiting never skips for a run (max_buffered may be as low as 16 KiB).
    const maxRunBytes = Math.min(MAX_RUN_BYTES, gate.options.maxBufferedBytes / 2);
    let runFrom = -1;
    let runBytes = 0;
    for (let i = 0; i < fragments.length; i++) {
      const fragment = fragments[i]!;
      const wasBehind = gate.behind;
      const verdict = fragment.generation === this.sentGeneration ? gate.decide(fragment, this.bufferedBytes() + runBytes, nowMs) : undefined;
      if (runFrom >= 0 && (verdict !== SEND || fragment.keyframe || !joinRuns || runBytes + fragment.bytes.length > maxRunBytes)) {
        this.write(fragments[runFrom]!, joinedRun(fragments, runFrom, i));
        // A transport may close inside its write (its peer gone): the rest of the batch is not for it.
        if (this.#closed) return;
        runFrom = -1;
        runBytes = 0;
      }
      if (verdict === SEND) {
        if (wasBehind) this.onResume(gate.episodeSkipped);
        if (runFrom < 0) runFrom = i;
        runBytes += fragment.bytes.length;
        this.bytesSent += fragment.bytes.length;
        this.fragmentsSent++;
        this.lagMs = nowMs - fragment.arrivalMs;
        // Sampled at keyframes only: one observation per viewer per GOP (~1/s), not per fragment.
        if (fragment.keyframe) this.keyframeSent?.(this, this.lagMs);
      } else if (verdict === CLOSE) {
        this.close('VIEWER_TOO_SLOW');
        return;
      }
    }
    if (runFrom >= 0) this.write(fragments[runFrom]!, joinedRun(fragments, runFrom, fragments.length));
  }
}

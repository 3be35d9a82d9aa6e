import { gzipSync } from 'node:zlib';
import type { Logger } from '../../logger.ts';
import { SafeEmitter } from '../../safe-emitter.ts';
import type { Fragment, InitRecord } from '../../streams/fragment.ts';
import type { Stream } from '../../streams/stream.ts';
import { BlockingWaiters } from './blocking.ts';
import type { TimelinePosition } from './directives.ts';
import { DvrStore, type DvrStats } from './dvr-store.ts';
import type { HlsOptions } from './options.ts';
import { carryQuery, renderPlaylist, type PlaylistView } from './playlist.ts';
import type { HlsPart, HlsSegment } from './segment.ts';

/** Slack (s) when comparing sums of frame durations: far below a frame, far above float rounding. */
const EPS = 1e-4;
/** Primary-track fragment durations sampled before PART-TARGET is fixed (the median of them is the frame duration). */
const FRAME_SAMPLES = 5;
/** Largest difference (ms) between a segment's prft date and the date that follows from the one before it that is smoothed away. */
const MAX_DATE_CORRECTION_MS = 500;
/** RFC 8216bis §4.4.4.9: every part but an INDEPENDENT=YES one and a segment's last lasts at least 85 % of PART-TARGET. */
const MIN_PART_SHARE = 0.85;
/** Distinct credentials a timeline keeps a rendered playlist for, per version; past this it starts over. */
const MAX_PLAYLISTS_WITH_QUERY = 256;

/** Fragments collected for the next part. */
interface PendingPart {
  readonly fragments: Fragment[];
  bytes: number;
  /** Decode time (s) of its first primary-track sample, once it has one. */
  start: number | undefined;
  end: number;
  independent: boolean;
}

function emptyPart(): PendingPart {
  return { fragments: [], bytes: 0, start: undefined, end: 0, independent: false };
}

export interface TimelineEvents {
  [event: string]: unknown[];
  close: [];
}

export interface TimelineStats extends DvrStats {
  readonly run: string;
  readonly targetDuration: number;
  readonly partTarget: number;
  readonly parked: number;
  /** Fragments dropped because their generation had no keyframe yet. */
  readonly droppedFragments: number;
}

/**
 * One stream's LL-HLS timeline: it listens to the stream's `init` and
 * `fragments` events and groups the very fragments every viewer gets into
 * parts (about `partTargetSeconds`, whole fragments, RFC 8216bis 85 % rule)
 * and parts into segments (whole GOPs up to the target duration), keeps the
 * DVR window, renders the playlist once per change, and answers the
 * requests parked on it.
 *
 * Timing comes from the primary (video) track: audio-only fragments have no
 * primary duration and ride along in the part that is open when they come.
 */
export class HlsTimeline extends SafeEmitter<TimelineEvents> {
  /** Stamp of this timeline's creation (base 36, plus two random digits): part of every media name, so names never repeat across runs. */
  readonly run: string;
  readonly stream: Stream;
  readonly store: DvrStore;
  readonly waiters = new BlockingWaiters();
  readonly #options: HlsOptions;
  readonly #inits = new Map<number, InitRecord>();
  #init: InitRecord | undefined;
  #awaitKeyframe = true;
  #open: HlsSegment | undefined;
  /** Bytes of the open segment's parts, by index. */
  #openBytes: Buffer[] = [];
  #pending = emptyPart();
  #nextMsn: number;
  #lastCompleteMsn: number;
  #lastSegmentGeneration = 0;
  #nextPart = 0;
  #lastPart: HlsPart | undefined;
  #lastKeyTime: number | undefined;
  #partTarget: number | undefined;
  #longestPart = 0;
  readonly #frameSamples: number[] = [];
  #targetDuration: number | undefined;
  #version = 0;
  readonly #rendered = new Map<string, { version: number; body: Buffer }>();
  /**
   * Playlists with a viewer's credential in their URIs, for the current
   * version only: one per distinct link or token asking, bounded.
   */
  readonly #renderedWithQuery = new Map<string, Buffer>();
  #renderedWithQueryVersion = -1;
  #droppedFragments = 0;
  readonly #detach: () => void;
  #closed = false;

  constructor(stream: Stream, options: HlsOptions, log: Logger) {
    super();
    const now = Date.now();
    this.run = now.toString(36) + Math.floor(Math.random() * 36 * 36).toString(36).padStart(2, '0');
    this.stream = stream;
    this.#options = options;
    this.store = new DvrStore(options, stream.name, log);
    // Media sequence numbers start at the creation time in tenths of a second, so that they keep growing across
    // restarts of fragcast too (RFC 8216bis §6.2.2: never decrease) as long as segments average over 0.1 s.
    this.#nextMsn = Math.floor(now / 100);
    this.#lastCompleteMsn = this.#nextMsn - 1;
    const onInit = (init: InitRecord): void => this.#onInit(init);
    const onFragments = (fragments: readonly Fragment[]): void => {
      let changed = false;
      for (const fragment of fragments) changed = this.#accept(fragment) || changed;
      if (changed) this.#bump();
    };
    const onMarker = (): void => this.#bump();
    const onClose = (): void => this.close();
    stream.on('init', onInit).on('fragments', onFragments).on('marker', onMarker).on('close', onClose);
    this.#detach = () => stream.off('init', onInit).off('fragments', onFragments).off('marker', onMarker).off('close', onClose);
    if (stream.init) this.#onInit(stream.init);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** EXT-X-TARGETDURATION: the configured target until the first segment is complete, then fixed. */
  get targetDuration(): number {
    return this.#targetDuration ?? this.#options.segmentTargetSeconds;
  }

  /** PART-TARGET: the configured target until the frame duration is known, then fixed. */
  get partTarget(): number {
    return this.#partTarget ?? this.#options.partTargetSeconds;
  }

  /** How long a request may stay parked: three target durations (RFC 8216bis §6.2.5.2). */
  get blockingTimeoutMs(): number {
    return 3 * this.targetDuration * 1000;
  }

  get position(): TimelinePosition {
    const part = this.#lastPart;
    return { lastMsn: this.#lastCompleteMsn, lastPart: part && { msn: part.msn, index: part.index }, partTarget: this.partTarget };
  }

  /** A playlist can be served: at least one segment is complete. */
  get hasPlaylist(): boolean {
    return this.store.segments.length > 0;
  }

  /** Number of the next part to be published (the preload hint). */
  get nextPart(): number {
    return this.#nextPart;
  }

  get view(): PlaylistView {
    return {
      run: this.run,
      targetDuration: this.targetDuration,
      partTarget: this.partTarget,
      discontinuitySequence: this.store.discontinuitySequence,
      segments: this.store.segments,
      open: this.#open,
      nextPart: this.#nextPart,
      markers: this.stream.markers.list(),
    };
  }

  get stats(): TimelineStats {
    return {
      ...this.store.stats,
      run: this.run,
      targetDuration: this.targetDuration,
      partTarget: this.partTarget,
      parked: this.waiters.size,
      droppedFragments: this.#droppedFragments,
    };
  }

  /**
   * The playlist as of now, rendered (and gzipped, RFC 8216bis §6.2.1 SHOULD)
   * once per change and per kind, however many requests ask for it.
   */
  playlist(skip: boolean, gzip = false, query = ''): Buffer {
    if (query) return this.#playlistWithQuery(skip, gzip, query);
    const key = `${skip}${gzip}`;
    const cached = this.#rendered.get(key);
    if (cached?.version === this.#version) return cached.body;
    const text = Buffer.from(renderPlaylist(this.view, { skip }));
    const body = gzip ? gzipSync(text, { level: 6 }) : text;
    this.#rendered.set(key, { version: this.#version, body });
    return body;
  }

  /** The playlist with `query` (a signed link's `exp=…&sig=…`, a `token=…`) on every URI it lists, so each request of the player carries it. */
  #playlistWithQuery(skip: boolean, gzip: boolean, query: string): Buffer {
    if (this.#renderedWithQueryVersion !== this.#version || this.#renderedWithQuery.size >= MAX_PLAYLISTS_WITH_QUERY) {
      this.#renderedWithQuery.clear();
      this.#renderedWithQueryVersion = this.#version;
    }
    const key = `${skip}${gzip}${query}`;
    let body = this.#renderedWithQuery.get(key);
    if (!body) {
      const text = Buffer.from(carryQuery(this.playlist(skip).toString(), query));
      body = gzip ? gzipSync(text, { level: 6 }) : text;
      this.#renderedWithQuery.set(key, body);
    }
    return body;
  }

  init(generation: number): Buffer | undefined {
    return this.#inits.get(generation)?.bytes;
  }

  /** Whether part `n` has been published. */
  hasPart(n: number): boolean {
    return n < this.#nextPart;
  }

  /** Bytes of part `n`, while it is in the window. */
  async part(n: number): Promise<Buffer | undefined> {
    const open = this.#open;
    const first = open?.parts[0];
    if (open && first && n >= first.n) return this.#openBytes[n - first.n];
    const segment = this.#segmentWithPart(n);
    if (!segment) return undefined;
    const part = segment.parts[n - segment.parts[0]!.n]!;
    return this.store.read(segment.msn, part.offset, part.size);
  }

  /** Bytes of complete segment `msn`, while it is in the window. */
  segment(msn: number): Promise<Buffer | undefined> {
    return this.store.read(msn);
  }

  /** Whether segment `msn` is the one being filled now. */
  isOpen(msn: number): boolean {
    return this.#open?.msn === msn;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    this.waiters.expireAll();
    this.store.close();
    this.safeEmit('close');
    this.removeAllListeners();
  }

  /** A part or segment was published, or the markers changed: a new playlist, and maybe answers for parked requests. */
  #bump(): void {
    this.#version++;
    this.waiters.update();
  }

  #onInit(init: InitRecord): void {
    if (this.#closed) return;
    // The old generation ends here; a trailing part with no video is dropped with it.
    if (this.#pending.start !== undefined) this.#closePart();
    this.#closeSegment();
    this.#pending = emptyPart();
    this.#init = init;
    this.#awaitKeyframe = true;
    this.#lastKeyTime = undefined;
    this.#inits.set(init.generation, init);
    this.#pruneInits();
    this.#bump();
  }

  /** Keeps the init segments of the current generation and of the segments still in the window. */
  #pruneInits(): void {
    const segments = this.store.segments;
    const oldest = segments[0]?.generation ?? this.#init?.generation ?? 0;
    for (const generation of this.#inits.keys()) if (generation < oldest) this.#inits.delete(generation);
  }

  /** Takes one fragment into the timeline; true when a part or segment was published. */
  #accept(fragment: Fragment): boolean {
    const init = this.#init;
    if (!init || fragment.generation !== init.generation) return false;
    const { decodeTime, duration } = fragment.info;
    const primary = decodeTime !== undefined;
    if (this.#awaitKeyframe) {
      if (!primary || !fragment.keyframe) {
        this.#droppedFragments++;
        return false;
      }
      this.#awaitKeyframe = false;
    }
    const published = this.#nextPart;
    if (primary) {
      if (duration > 0) this.#sampleFrame(duration);
      const pendingDuration = this.#pendingDuration();
      if (fragment.keyframe) {
        if (this.#open && this.#endsSegment(decodeTime)) {
          // Fragments without video since the last part (audio before this keyframe) open the next segment's first part.
          if (this.#pending.start !== undefined) this.#closePart();
          this.#closeSegment();
        } else if (this.#pending.start !== undefined && pendingDuration >= MIN_PART_SHARE * this.partTarget - EPS) {
          // A keyframe starts a part of its own when the part before it may end here (INDEPENDENT=YES parts are where players start).
          this.#closePart();
        }
        this.#lastKeyTime = decodeTime;
      } else if (this.#pending.start !== undefined && pendingDuration + duration > this.partTarget + EPS) {
        this.#closePart();
      }
      if (!this.#open) this.#openSegment(fragment, init);
    }
    this.#addToPending(fragment);
    if (primary && this.#pendingDuration() >= this.partTarget - EPS) this.#closePart();
    return this.#nextPart !== published;
  }

  /**
   * Whether the keyframe at `decodeTime` starts a new segment: when one more
   * GOP like the one that just ended would take the segment past the target.
   */
  #endsSegment(decodeTime: number): boolean {
    const open = this.#open!;
    const sofar = decodeTime - open.startTime;
    const gop = this.#lastKeyTime === undefined ? sofar : decodeTime - this.#lastKeyTime;
    return sofar + gop > this.targetDuration + EPS;
  }

  #pendingDuration(): number {
    const pending = this.#pending;
    return pending.start === undefined ? 0 : pending.end - pending.start;
  }

  #addToPending(fragment: Fragment): void {
    const pending = this.#pending;
    pending.fragments.push(fragment);
    pending.bytes += fragment.bytes.length;
    const { decodeTime, duration } = fragment.info;
    if (decodeTime === undefined) return;
    if (pending.start === undefined) {
      pending.start = decodeTime;
      pending.independent = fragment.keyframe;
    }
    pending.end = Math.max(pending.end, decodeTime + duration);
  }

  /** Fixes PART-TARGET once enough frames were seen: the whole number of frames nearest the wanted part duration. */
  #sampleFrame(duration: number): void {
    if (this.#partTarget !== undefined) return;
    this.#frameSamples.push(duration);
    if (this.#frameSamples.length < FRAME_SAMPLES) return;
    const frame = [...this.#frameSamples].sort((a, b) => a - b)[Math.floor(FRAME_SAMPLES / 2)]!;
    const frames = Math.max(1, Math.round(this.#options.partTargetSeconds / frame));
    this.#partTarget = Math.max(frames * frame, this.#longestPart);
  }

  #openSegment(first: Fragment, init: InitRecord): void {
    const decodeTime = first.info.decodeTime!;
    const previous = this.store.segments.at(-1);
    let programDateMs = programDate(first, init, decodeTime);
    // Within a generation, dates follow the durations: per-segment prft jitter (tens of ms) would leave gaps and
    // overlaps between segments' dates. A larger difference is a real clock step, and the prft wins.
    if (previous && previous.generation === init.generation && previous.msn === this.#nextMsn - 1) {
      const continued = previous.programDateMs + previous.duration * 1000;
      if (Math.abs(continued - programDateMs) < MAX_DATE_CORRECTION_MS) programDateMs = continued;
    }
    this.#open = {
      msn: this.#nextMsn++,
      generation: init.generation,
      discontinuity: this.#lastSegmentGeneration !== 0 && this.#lastSegmentGeneration !== init.generation,
      independent: first.keyframe,
      startTime: decodeTime,
      programDateMs,
      parts: [],
      duration: 0,
      size: 0,
      complete: false,
    };
  }

  #closePart(): void {
    const open = this.#open!;
    const pending = this.#pending;
    const bytes = Buffer.concat(pending.fragments.map((fragment) => fragment.bytes), pending.bytes);
    const part: HlsPart = {
      n: this.#nextPart++,
      msn: open.msn,
      index: open.parts.length,
      duration: pending.end - pending.start!,
      independent: pending.independent,
      offset: open.size,
      size: bytes.length,
      publishedMs: Date.now(),
      lastArrivalMs: pending.fragments.at(-1)!.arrivalMs,
    };
    open.parts.push(part);
    this.#openBytes.push(bytes);
    open.size += bytes.length;
    open.duration = pending.end - open.startTime;
    this.#lastPart = part;
    this.#longestPart = Math.max(this.#longestPart, part.duration);
    if (this.#partTarget !== undefined && part.duration > this.#partTarget) this.#partTarget = part.duration;
    this.#pending = emptyPart();
    // RFC 8216bis §6.2.1: a segment, rounded, never exceeds the target duration. A GOP too long for it is split at a part.
    if (this.#targetDuration !== undefined && open.duration + this.partTarget > this.#targetDuration + 0.5 - EPS) this.#closeSegment();
  }

  #closeSegment(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    const parts = this.#openBytes;
    this.#openBytes = [];
    if (open.parts.length === 0) {
      // Nothing of it was published: its number is free again.
      this.#nextMsn = open.msn;
      return;
    }
    const bytes = Buffer.concat(parts, open.size);
    open.complete = true;
    this.#targetDuration ??= Math.max(this.#options.segmentTargetSeconds, Math.ceil(open.duration - EPS));
    this.#lastCompleteMsn = open.msn;
    this.#lastSegmentGeneration = open.generation;
    // §6.2.2: the playlist never gets shorter than three target durations.
    this.store.add(open, bytes, 3 * this.#targetDuration);
    this.#pruneInits();
  }

  #segmentWithPart(n: number): HlsSegment | undefined {
    const segments = this.store.segments;
    let low = 0;
    let high = segments.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const parts = segments[mid]!.parts;
      if (n < parts[0]!.n) high = mid - 1;
      else if (n > parts.at(-1)!.n) low = mid + 1;
      else return segments[mid];
    }
    return undefined;
  }
}

/**
 * EXT-X-PROGRAM-DATE-TIME of a segment starting at `first`: the producer's
 * wallclock from `prft` (§8.16.5) moved to the fragment's decode time, else
 * the server's arrival stamp.
 */
function programDate(first: Fragment, init: InitRecord, decodeTime: number): number {
  const prft = first.info.prft;
  const track = prft && init.info.tracks.find((candidate) => candidate.id === prft.trackId);
  if (!prft || !track) return first.arrivalMs;
  return prft.wallclockMs + (decodeTime - prft.mediaTime / track.timescale) * 1000;
}

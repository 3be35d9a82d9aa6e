/**
 * Drives outputs with made-up fragments of exact timing, for the rules that
 * depend only on timing (HLS parts and segments): a Stream whose init and
 * fragments come from the test instead of from parsed bytes.
 */
import type { TrackInfo } from '../../server/media/types.ts';
import type { Fragment, InitRecord } from '../../server/streams/fragment.ts';
import { Stream } from '../../server/streams/stream.ts';

const VIDEO: TrackInfo = { id: 1, kind: 'video', codec: 'avc1.64001f', timescale: 15360, width: 320, height: 240, defaults: { sampleDuration: 0, sampleSize: 0, sampleFlags: 0 } };
const AUDIO: TrackInfo = { id: 2, kind: 'audio', codec: 'mp4a.40.2', timescale: 48000, sampleRate: 48000, channels: 2, defaults: { sampleDuration: 1024, sampleSize: 0, sampleFlags: 0 } };

export interface FeedOptions {
  /** Video frames per second. Default 30. */
  readonly fps?: number;
  /** Frames per GOP. Default 30 (1 s). */
  readonly gopFrames?: number;
  /** Interleave AAC frames (1024 samples at 48 kHz) as fragments of their own, as ffmpeg does. Default true. */
  readonly audio?: boolean;
  /** Bytes per video fragment. Default 1000. */
  readonly frameBytes?: number;
}

/** A Stream fed by the test: `start()` a generation, then `feed(seconds)` of fragments in decode order. */
export class FeedStream extends Stream {
  readonly options: Required<FeedOptions>;
  generation = 0;
  #seq = 0;
  #frame = 0;
  #audioFrame = 0;
  /** Wallclock (ms) of media time 0 of the current generation, for prft. */
  #zeroMs = Date.now();

  constructor(name: string, options: FeedOptions = {}) {
    super(name);
    this.options = { fps: 30, gopFrames: 30, audio: true, frameBytes: 1000, ...options };
  }

  /** A new init generation, whose media time starts at 0 again (what a source restart looks like). */
  start(): InitRecord {
    this.generation++;
    this.#frame = 0;
    this.#audioFrame = 0;
    this.#zeroMs = Date.now();
    const tracks = this.options.audio ? [VIDEO, AUDIO] : [VIDEO];
    const init: InitRecord = {
      bytes: Buffer.from(`init-${this.generation}`),
      info: { tracks, mime: 'video/mp4; codecs="avc1.64001f"', primaryTrackId: 1 },
      generation: this.generation,
      arrivalMs: Date.now(),
    };
    this.safeEmit('init', init);
    return init;
  }

  /** Emits `seconds` of video frames (and the audio frames due before each) as one batch; returns them. */
  feed(seconds: number, gopFrames = this.options.gopFrames): Fragment[] {
    const { fps } = this.options;
    const batch: Fragment[] = [];
    const frames = Math.round(seconds * fps);
    for (let i = 0; i < frames; i++) {
      const time = this.#frame / fps;
      while (this.options.audio && (this.#audioFrame * 1024) / 48000 <= time) {
        batch.push(this.#fragment(false, undefined, 0, 300));
        this.#audioFrame++;
      }
      batch.push(this.#fragment(this.#frame % gopFrames === 0, time, 1 / fps, this.options.frameBytes));
      this.#frame++;
    }
    this.safeEmit('fragments', batch);
    return batch;
  }

  #fragment(keyframe: boolean, decodeTime: number | undefined, duration: number, bytes: number): Fragment {
    const seq = ++this.#seq;
    const prft = decodeTime === undefined ? undefined : { trackId: 1, wallclockMs: this.#zeroMs + decodeTime * 1000, mediaTime: Math.round(decodeTime * 15360) };
    return {
      seq,
      generation: this.generation,
      bytes: Buffer.alloc(bytes, seq % 251),
      keyframe,
      arrivalMs: Date.now(),
      info: { sequenceNumber: seq, runs: [], keyframe, decodeTime, duration, prft },
    };
  }
}

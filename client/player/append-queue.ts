/**
 * Serializes work on one SourceBuffer, which accepts one operation at a
 * time: appends, and the property changes that must happen between them
 * (timestampOffset, changeType) in the order they were asked for. It keeps
 * the back buffer short so the browser's quota is not hit in normal play,
 * and on QuotaExceededError evicts and retries.
 */

export interface AppendQueueOptions {
  /** Seconds of already-played media to keep behind the playhead. Default 10. */
  readonly backBuffer: number;
  /** Bytes queued (not yet appended) before the queue drops to the next keyframe. Default 16 MiB. */
  readonly maxQueuedBytes: number;
}

type Job = { readonly data: ArrayBuffer; readonly keyframe: boolean } | { readonly task: () => void };

export class AppendQueue {
  readonly #buffer: SourceBuffer;
  readonly #media: HTMLMediaElement;
  readonly #options: AppendQueueOptions;
  readonly #onError: (error: unknown, kind: 'quota' | 'append') => void;
  #jobs: Job[] = [];
  #queuedBytes = 0;
  #dropping = false;
  #lastTrim = 0;
  #closed = false;

  constructor(buffer: SourceBuffer, media: HTMLMediaElement, onError: (error: unknown, kind: 'quota' | 'append') => void, options: Partial<AppendQueueOptions> = {}) {
    this.#buffer = buffer;
    this.#media = media;
    this.#onError = onError;
    this.#options = { backBuffer: 10, maxQueuedBytes: 16 * 1024 * 1024, ...options };
    buffer.addEventListener('updateend', () => this.#next());
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues a segment. `keyframe` marks where playback can resume: a backlog
   * past the bound is dropped up to the next keyframe, like the server's gate.
   * An init segment counts as a keyframe (it is never dropped).
   */
  append(data: ArrayBuffer, keyframe: boolean): void {
    if (this.#closed) return;
    if (this.#dropping && !keyframe) return;
    this.#dropping = false;
    if (this.#queuedBytes + data.byteLength > this.#options.maxQueuedBytes) {
      this.#jobs = this.#jobs.filter((job) => 'task' in job);
      this.#queuedBytes = 0;
      if (!keyframe) {
        this.#dropping = true;
        return;
      }
    }
    this.#jobs.push({ data, keyframe });
    this.#queuedBytes += data.byteLength;
    this.#next();
  }

  /** Runs `task` after everything queued so far has been appended, while the buffer is idle. */
  enqueueTask(task: () => void): void {
    if (this.#closed) return;
    this.#jobs.push({ task });
    this.#next();
  }

  /** Drops queued segments and waits for a keyframe. */
  flushToKeyframe(): void {
    this.#jobs = this.#jobs.filter((job) => 'task' in job);
    this.#queuedBytes = 0;
    this.#dropping = true;
  }

  close(): void {
    this.#closed = true;
    this.#jobs = [];
  }

  #next(): void {
    while (!this.#closed && !this.#buffer.updating) {
      if (this.#trimIfDue()) return;
      const job = this.#jobs.shift();
      if (!job) return;
      if ('task' in job) {
        try {
          job.task();
        } catch (error) {
          this.#onError(error, 'append');
        }
        continue;
      }
      this.#queuedBytes -= job.data.byteLength;
      try {
        this.#buffer.appendBuffer(job.data);
      } catch (error) {
        if ((error as DOMException)?.name === 'QuotaExceededError') {
          // Put it back, evict more of the past, and retry on updateend.
          this.#jobs.unshift(job);
          this.#queuedBytes += job.data.byteLength;
          this.#onError(error, 'quota');
          if (!this.#evict(1)) this.flushToKeyframe();
        } else {
          this.#onError(error, 'append');
          this.flushToKeyframe();
        }
      }
      return;
    }
  }

  /** Every 2 s, removes media older than backBuffer seconds. Returns true if a removal started. */
  #trimIfDue(): boolean {
    const now = performance.now();
    if (now - this.#lastTrim < 2000) return false;
    this.#lastTrim = now;
    return this.#evict(this.#options.backBuffer);
  }

  #evict(keepSeconds: number): boolean {
    const buffered = this.#buffer.buffered;
    if (!buffered.length) return false;
    const end = this.#media.currentTime - keepSeconds;
    if (end <= buffered.start(0) + 0.5) return false;
    this.#buffer.remove(0, end);
    return true;
  }
}

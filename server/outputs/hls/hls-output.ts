import type { Logger } from '../../logger.ts';
import type { StreamRegistry } from '../../streams/registry.ts';
import type { Stream } from '../../streams/stream.ts';
import { resolveHlsOptions, type HlsOptions } from './options.ts';
import { HlsTimeline } from './timeline.ts';

/**
 * The LL-HLS output: one timeline per stream, made when the stream is added
 * (the DVR window records whether or not anyone watches) and closed with it.
 */
export class HlsOutput {
  readonly options: HlsOptions;
  readonly #timelines = new Map<string, HlsTimeline>();
  readonly #log: Logger;
  readonly #detach: () => void;

  /** Throws INVALID_ARGUMENT when `options` are invalid. */
  constructor(registry: StreamRegistry, options: Partial<HlsOptions>, logger: Logger) {
    this.options = resolveHlsOptions(options);
    this.#log = logger;
    const onAdded = (stream: Stream): void => this.#attach(stream);
    registry.on('added', onAdded);
    this.#detach = () => registry.off('added', onAdded);
    for (const { stream } of registry.entries()) this.#attach(stream);
  }

  timeline(name: string): HlsTimeline | undefined {
    return this.#timelines.get(name);
  }

  close(): void {
    this.#detach();
    for (const timeline of [...this.#timelines.values()]) timeline.close();
  }

  #attach(stream: Stream): void {
    const log = this.#log.child({ stream: stream.name });
    const timeline = new HlsTimeline(stream, this.options, log);
    timeline.onListenerError = (error, event) => log.error({ err: error, event }, 'HLS timeline listener failed');
    this.#timelines.set(stream.name, timeline);
    timeline.once('close', () => {
      if (this.#timelines.get(stream.name) === timeline) this.#timelines.delete(stream.name);
    });
  }
}

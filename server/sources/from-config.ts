import { join } from 'node:path';
import { backoffOptions } from '../config/runtime.ts';
import type { StreamConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { Stream } from '../streams/stream.ts';
import { ffmpegSourceArgs, inputPart, planCodecs, variantArgs, type FfmpegInputConfig } from './config-args.ts';
import { demoArgs } from './ffmpeg-args.ts';
import { probeInput } from './ffprobe.ts';
import { FfmpegSource } from './ffmpeg-source.ts';
import { PushSource } from './push-source.ts';
import { RelaySource } from './relay-source.ts';
import type { Source } from './source.ts';
import { StderrLog } from './stderr-log.ts';
import { feedFromStream } from './variant-feed.ts';

/** What building a source needs beyond its own definition. */
export interface SourceContext {
  readonly ffmpegPath: string;
  /** Undefined when there is no ffprobe: `codecs: auto` then transcodes. */
  readonly ffprobePath: string | undefined;
  readonly logger: Logger;
  /** log.directory and its rotation; undefined: ffmpeg stderr goes to the main log only. */
  readonly logFiles: { readonly directory: string; readonly maxBytes: number; readonly keep: number } | undefined;
  /** Strings the source's logs must never show. */
  readonly secrets: readonly string[];
  /** A running stream by name (a variant's parent). */
  readonly streamOf: (name: string) => Stream | undefined;
}

/** The Source of a configured stream. `name` is a validated stream name (it becomes a log file name). */
export function createSource(name: string, stream: StreamConfig, context: SourceContext): Source {
  const logger = context.logger.child({ module: 'source', stream: name, kind: stream.source.kind });
  const backoff = backoffOptions(stream);
  const ffmpeg = {
    ffmpegPath: context.ffmpegPath,
    logger,
    backoff,
    secrets: context.secrets,
    ...(context.logFiles
      ? {
          stderrLog: new StderrLog({
            path: join(context.logFiles.directory, `${name}.log`),
            maxBytes: context.logFiles.maxBytes,
            keep: context.logFiles.keep,
            onError: (error) => logger.error({ err: error }, 'cannot write the ffmpeg log file; its lines go to the main log only'),
          }),
        }
      : {}),
  };
  const source = stream.source;
  switch (source.kind) {
    case 'demo':
      return new FfmpegSource({ ...ffmpeg, args: demoArgs(context.ffmpegPath, { width: source.width, height: source.height, fps: source.fps, videoKbps: Math.round(source.video_bitrate / 1000) }) });
    case 'ffmpeg':
      if (source.args !== undefined) return new FfmpegSource({ ...ffmpeg, args: source.args });
      return new FfmpegSource({ ...ffmpeg, args: () => argsAfterProbe(source, context.ffprobePath, logger) });
    case 'variant': {
      const parent = context.streamOf(source.from);
      if (!parent) throw new Error(`variant "${name}": stream "${source.from}" is not running`);
      return new FfmpegSource({ ...ffmpeg, args: variantArgs(source), feed: feedFromStream(parent) });
    }
    case 'relay':
      return new RelaySource({ url: source.url, stallTimeoutMs: source.stall_timeout * 1000, logger, backoff });
    case 'push':
      return new PushSource({ stream: name, key: source.key, idleTimeoutMs: source.idle_timeout * 1000, maxBitrate: source.max_bitrate, takeover: source.takeover, logger });
  }
}

/**
 * `codecs: auto` probes before every run: a camera can change its codecs
 * between two runs. A failed probe fails the run (the backoff applies): an
 * input ffprobe cannot open is one ffmpeg cannot open either, and guessing
 * "transcode" would quietly burn a core per camera.
 */
async function argsAfterProbe(source: FfmpegInputConfig, ffprobePath: string | undefined, logger: Logger): Promise<string[]> {
  if (source.codecs !== 'auto' || !ffprobePath) return ffmpegSourceArgs(source, planCodecs(source, undefined));
  let tracks;
  try {
    tracks = await probeInput(ffprobePath, inputPart(source));
  } catch (error) {
    throw new Error(`${(error as Error).message} (codecs: copy or codecs: transcode skip the probe)`);
  }
  const plan = planCodecs(source, tracks);
  logger.info({ tracks: tracks.map((t) => `${t.kind}:${t.codec}${t.pixelFormat ? `/${t.pixelFormat}` : ''}`), plan }, 'probed the input');
  return ffmpegSourceArgs(source, plan);
}

import type { HlsOptions } from '../outputs/hls/options.ts';
import type { KeyframeGateOptions } from '../outputs/keyframe-gate.ts';
import type { BackoffOptions } from '../sources/backoff.ts';
import type { DesiredStream } from '../streams/registry.ts';
import type { FragcastConfig, StreamConfig } from './schema.ts';

/**
 * The configuration in the units and shapes the running parts take
 * (milliseconds, camelCase option objects). The file speaks seconds and
 * snake_case; the code keeps its own defaults objects; this is the one
 * place the two meet.
 */

export function gateOptions(stream: StreamConfig): KeyframeGateOptions {
  const { max_buffered, resume_buffered, max_behind } = stream.viewers;
  return { maxBufferedBytes: max_buffered, resumeBufferedBytes: resume_buffered, maxBehindMs: max_behind * 1000 };
}

export function hlsOptions(config: FragcastConfig): HlsOptions {
  const { part_target, segment_target, window, max_memory, spill_directory, max_spill } = config.hls;
  return {
    partTargetSeconds: part_target,
    segmentTargetSeconds: segment_target,
    windowSeconds: window,
    maxMemoryBytes: max_memory,
    spillDir: spill_directory,
    maxSpillBytes: max_spill,
  };
}

export function backoffOptions(stream: StreamConfig): BackoffOptions {
  const { initial_delay, max_delay, healthy_after } = stream.restart;
  return { initialMs: initial_delay * 1000, maxMs: max_delay * 1000, healthyMs: healthy_after * 1000 };
}

/**
 * What the registry reconciles. The viewer and CORS settings and the access
 * rules are left out of the compared definition: they apply to the next
 * viewer or request, and changing them is no reason to restart a camera.
 */
export function desiredStreams(config: FragcastConfig): Map<string, DesiredStream> {
  const desired = new Map<string, DesiredStream>();
  for (const [name, stream] of Object.entries(config.streams)) {
    const { viewers: _appliedPerViewer, access: _checkedPerRequest, allow: _alsoPerRequest, cors: _appliedPerRequest, ...definition } = stream;
    desired.set(name, {
      definition,
      options: {
        cache: { maxBytes: stream.cache.max_size, maxSeconds: stream.cache.max_duration, minGops: stream.cache.min_gops },
        onDemand: stream.on_demand ? { stopAfterMs: stream.on_demand_stop_after * 1000 } : undefined,
      },
      after: stream.source.kind === 'variant' ? stream.source.from : undefined,
    });
  }
  return desired;
}

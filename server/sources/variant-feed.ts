import type { Writable } from 'node:stream';
import type { Fragment, InitRecord } from '../streams/fragment.ts';
import type { Stream } from '../streams/stream.ts';
import type { StdinFeed } from './ffmpeg-source.ts';

/**
 * Bounds on what waits in a variant's stdin pipe. A transcode slower than
 * real time would otherwise queue the parent's fragments without limit;
 * past the high mark the feed drops fragments and resumes at a keyframe once
 * ffmpeg has drained to the low mark, so ffmpeg never decodes a GOP with a
 * hole in it. (The viewers' KeyframeGate applies the same rule to sockets;
 * sources do not import outputs, and this is the whole of it.)
 */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;

/**
 * Feeds a variant's ffmpeg with its parent stream: the parent's init, its
 * newest cached GOP (so the rendition starts at once), then every fragment
 * from there on. Fed from the parent's fragments: the camera is decoded
 * once, whatever the number of renditions. The variant holds the parent
 * while it runs, so an on-demand parent runs while a variant needs it. A
 * new parent init (its source restarted) cannot be carried on one ffmpeg
 * stdin, so it restarts the variant's ffmpeg.
 */
export function feedFromStream(parent: Stream): StdinFeed {
  return (stdin: Writable, run) => {
    let generation: number | undefined;
    let waitingForKeyframe = true;

    const sendInit = (init: InitRecord): void => {
      generation = init.generation;
      waitingForKeyframe = true;
      stdin.write(init.bytes);
    };
    const onInit = (init: InitRecord): void => {
      if (generation === undefined) sendInit(init);
      else run.restart(`stream "${parent.name}" started a new init segment`);
    };
    const onFragments = (fragments: readonly Fragment[]): void => {
      for (const fragment of fragments) {
        if (fragment.generation !== generation) continue;
        if (waitingForKeyframe) {
          if (!fragment.keyframe || stdin.writableLength > LOW_WATER_BYTES) continue;
          waitingForKeyframe = false;
        } else if (stdin.writableLength > HIGH_WATER_BYTES) {
          waitingForKeyframe = true;
          continue;
        }
        stdin.write(fragment.bytes);
      }
    };

    parent.acquire();
    if (parent.init) {
      sendInit(parent.init);
      const gop = parent.cache.newest;
      if (gop) onFragments(gop.fragments);
    }
    parent.on('init', onInit).on('fragments', onFragments);
    return () => {
      parent.off('init', onInit).off('fragments', onFragments);
      parent.release();
      stdin.end();
    };
  };
}

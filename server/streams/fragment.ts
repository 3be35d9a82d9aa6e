import type { InitInfo, FragmentInfo } from '../media/types.ts';

/** An init segment as a stream holds it: bytes, facts, and which generation of the stream it starts. */
export interface InitRecord {
  readonly bytes: Buffer;
  readonly info: InitInfo;
  /** 1 for the first init of a stream, +1 for each new init (source restart, new publisher). */
  readonly generation: number;
  readonly arrivalMs: number;
}

/**
 * One fragment as every output sees it. `bytes` is the only copy: every
 * viewer is sent this same buffer, and the GOP cache holds it by reference.
 */
export interface Fragment {
  /** Stream-wide sequence number: +1 per fragment, never reset, not even by a new generation. */
  readonly seq: number;
  readonly generation: number;
  readonly bytes: Buffer;
  readonly keyframe: boolean;
  readonly info: FragmentInfo;
  /** Server wallclock (Unix ms) when the fragment was complete: the "arrival stamp" of docs/protocol.md. */
  readonly arrivalMs: number;
}

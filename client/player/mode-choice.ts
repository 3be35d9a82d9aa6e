import type { PlayerMode } from './events.ts';
import { mediaSourceClass, mediaSourceKind, type MediaSourceKind } from './media-source.ts';

/** What a page may ask for: one mode, or `auto` (the best this browser can play, falling through on failure). */
export type RequestedMode = 'auto' | PlayerMode;
export const REQUESTED_MODES: readonly RequestedMode[] = Object.freeze(['auto', 'ws', 'hls', 'mp4']);

/**
 * The ways fragcast can play a stream, best first. `hls.js` and `hls-native`
 * are both the `hls` mode: hls.js feeds a MediaSource, the browser's own HLS
 * (Safari) takes the playlist URL.
 */
export type Engine = 'ws' | 'hls.js' | 'hls-native' | 'mp4';

export const ENGINE_MODE: Readonly<Record<Engine, PlayerMode>> = Object.freeze({ ws: 'ws', 'hls.js': 'hls', 'hls-native': 'hls', mp4: 'mp4' });

/** How each engine is named to people (the page's note, fallback messages). */
export const ENGINE_NAMES: Readonly<Record<Engine, string>> = Object.freeze({ ws: 'WebSocket + MSE', 'hls.js': 'LL-HLS (hls.js)', 'hls-native': "LL-HLS (the browser's own)", mp4: 'chunked MP4' });

export const HLS_MIME = 'application/vnd.apple.mpegurl';

/** What the browser can do, as the choice needs it; `detectCapabilities` reads it from the real browser, tests give it. */
export interface PlaybackCapabilities {
  /** The MediaSource the browser has (see media-source.ts), if any. */
  readonly mediaSource: MediaSourceKind | undefined;
  /** That MediaSource's `isTypeSupported`. */
  readonly mseSupports: (mime: string) => boolean;
  /** `video.canPlayType(type)` says "maybe" or "probably". */
  readonly canPlay: (type: string) => boolean;
  readonly webSocket: boolean;
}

export function detectCapabilities(video: HTMLVideoElement): PlaybackCapabilities {
  const MediaSourceImpl = mediaSourceClass();
  return {
    mediaSource: mediaSourceKind(),
    mseSupports: (mime) => MediaSourceImpl?.isTypeSupported(mime) ?? false,
    canPlay: (type) => video.canPlayType(type) !== '',
    webSocket: typeof globalThis.WebSocket === 'function',
  };
}

/**
 * The engines to try, in order, for a requested mode. `auto` is the issue's
 * chain: WebSocket + MSE where a MediaSource can play the codecs, else HLS
 * through hls.js, else the browser's own HLS, else the chunked MP4; each
 * engine the browser can run is kept, so a failing one falls through to the
 * next. A requested mode keeps only its own engines.
 *
 * `mime` is the stream's MediaSource type (`video/mp4; codecs="…"`) once
 * known (the WebSocket's init message): before that, codecs are assumed
 * playable wherever the container is; after, engines that cannot decode
 * them drop out. An empty list means nothing can play.
 */
export function chooseEngines(requested: RequestedMode, capabilities: PlaybackCapabilities, mime?: string): Engine[] {
  const { mediaSource, mseSupports, canPlay, webSocket } = capabilities;
  const mse = mediaSource !== undefined && (mime === undefined || mseSupports(mime));
  const decodes = (container: string): boolean => canPlay(container) && (mime === undefined || canPlay(mime));
  const chain: Engine[] = [];
  if (mse && webSocket) chain.push('ws');
  if (mse) chain.push('hls.js');
  if (decodes(HLS_MIME)) chain.push('hls-native');
  if (decodes('video/mp4')) chain.push('mp4');
  return requested === 'auto' ? chain : chain.filter((engine) => ENGINE_MODE[engine] === requested);
}

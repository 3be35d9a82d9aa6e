/**
 * Which MediaSource this browser offers. Safari 17+ added
 * ManagedMediaSource, and on the iPhone (iOS 17.1+) it is the only one.
 * Where both exist (desktop Safari 17+) the standard MediaSource is used:
 * a ManagedMediaSource may ask the page to stop appending (`endstreaming`)
 * to save power, which a live player at the edge cannot honour.
 */

export type MediaSourceKind = 'MediaSource' | 'ManagedMediaSource';

/** lib.dom does not know ManagedMediaSource yet; its API is MediaSource's (W3C Media Source Extensions 2, §4). */
interface WithManagedMediaSource {
  readonly ManagedMediaSource?: typeof MediaSource;
}

export function mediaSourceKind(): MediaSourceKind | undefined {
  if (typeof globalThis.MediaSource === 'function') return 'MediaSource';
  if (typeof (globalThis as WithManagedMediaSource).ManagedMediaSource === 'function') return 'ManagedMediaSource';
  return undefined;
}

export function mediaSourceClass(): typeof MediaSource | undefined {
  const kind = mediaSourceKind();
  return kind === 'MediaSource' ? globalThis.MediaSource : kind === 'ManagedMediaSource' ? (globalThis as WithManagedMediaSource).ManagedMediaSource : undefined;
}

/**
 * Attaches a MediaSource to a video element. A ManagedMediaSource plays
 * only when remote playback (AirPlay) is off or has an alternative source
 * (WebKit's ManagedMediaSource explainer): fragcast's blob has none.
 */
export function attachMediaSource(video: HTMLVideoElement, mediaSource: MediaSource): string {
  if (mediaSourceKind() === 'ManagedMediaSource') video.disableRemotePlayback = true;
  const url = URL.createObjectURL(mediaSource);
  video.src = url;
  return url;
}

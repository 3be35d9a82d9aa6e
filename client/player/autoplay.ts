import { ErrorDetails, ErrorType, type PlayerError } from './events.ts';

/**
 * Starts playback as far as the browser's autoplay policy allows: with
 * sound when it may; else muted, which every browser lets a page autoplay
 * (the page then offers an unmute button); else not at all until the user
 * acts (Safari in low-power mode refuses even muted video). A refusal is
 * reported as a non-fatal AUTOPLAY_BLOCKED error: the player goes on
 * buffering at the live edge and plays on the user's click.
 */
export function startPlayback(video: HTMLVideoElement, report: (error: PlayerError) => void): void {
  const refused = (error: unknown): PlayerError => ({
    type: ErrorType.OTHER,
    details: ErrorDetails.AUTOPLAY_BLOCKED,
    fatal: false,
    message: video.muted ? `play() was refused, even muted: a click will start it (${String(error)})` : `play() with sound was refused: playing muted until the user unmutes (${String(error)})`,
  });
  video.play().catch((error: unknown) => {
    // AbortError: a pause() or a new source interrupted this play(); that is not the policy speaking.
    if ((error as DOMException)?.name !== 'NotAllowedError') return;
    report(refused(error));
    if (video.muted) return;
    video.muted = true;
    video.play().catch((again: unknown) => {
      if ((again as DOMException)?.name === 'NotAllowedError') report(refused(again));
    });
  });
}

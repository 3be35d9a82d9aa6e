/** Parts and segments as the HLS timeline makes them and the DVR store keeps them. */

export interface HlsPart {
  /** Part number across the whole timeline (its URI); +1 per part, never reused. */
  readonly n: number;
  /** Media sequence number of the parent segment. */
  readonly msn: number;
  /** Part index within the parent (`_HLS_part`). */
  readonly index: number;
  /** Seconds of the primary (video) track. */
  readonly duration: number;
  /** Starts with a keyframe of the primary track (INDEPENDENT=YES). */
  readonly independent: boolean;
  /** Byte offset within the parent segment. */
  readonly offset: number;
  readonly size: number;
  /** Server wallclock (ms) when the part was added to the playlist. */
  readonly publishedMs: number;
  /** Arrival stamp (ms) of its last fragment: publishedMs minus this is what fragcast added. */
  readonly lastArrivalMs: number;
}

export interface HlsSegment {
  readonly msn: number;
  readonly generation: number;
  /** A new init generation starts here (EXT-X-DISCONTINUITY + EXT-X-MAP). */
  readonly discontinuity: boolean;
  /** Starts with a keyframe; false only when a GOP longer than the target duration had to be split. */
  readonly independent: boolean;
  /** Decode time (s, primary track) of its first sample. */
  readonly startTime: number;
  /** EXT-X-PROGRAM-DATE-TIME (Unix ms): from the producer's `prft` when present, else the arrival stamp. */
  readonly programDateMs: number;
  readonly parts: HlsPart[];
  /** Seconds (primary track); grows while the segment is open. */
  duration: number;
  size: number;
  /** Closed: its EXTINF and URI are in the playlist. */
  complete: boolean;
}

/**
 * Just enough ISO BMFF reading for the player: where a fragment sits on the
 * timeline (`tfdt` of its first `traf`) and when it was produced (`prft`).
 * The server has the full parser; the browser needs only these two facts.
 */

export interface FragmentTiming {
  /** Track of the first traf, and its baseMediaDecodeTime (§8.8.12) in that track's timescale. */
  readonly trackId: number;
  readonly baseDecodeTime: number;
  /** From `prft` (§8.16.5), when present: producer wallclock (Unix ms) at `prftMediaTime`. */
  readonly wallclockMs: number | undefined;
  readonly prftTrackId: number | undefined;
  readonly prftMediaTime: number | undefined;
}

const NTP_UNIX_OFFSET_S = 2_208_988_800;

function type(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at + 4), view.getUint8(at + 5), view.getUint8(at + 6), view.getUint8(at + 7));
}

function uint64(view: DataView, at: number): number {
  return view.getUint32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
}

/** Calls visit(type, payloadStart, end) for each child box in [from, to); stops at the first malformed size. */
function eachBox(view: DataView, from: number, to: number, visit: (type: string, payload: number, end: number) => void): void {
  let at = from;
  while (at + 8 <= to) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > to) return;
    visit(type(view, at), at + 8, at + size);
    at += size;
  }
}

/** Reads the timing of a fragment message (one fragment or a run: the first moof's decode time, the last prft); undefined when it has no moof/traf/tfdt. */
export function peekFragment(data: ArrayBuffer): FragmentTiming | undefined {
  const view = new DataView(data);
  let prft: { trackId: number; wallclockMs: number; mediaTime: number } | undefined;
  let first: { trackId: number; baseDecodeTime: number } | undefined;
  eachBox(view, 0, view.byteLength, (boxType, payload, end) => {
    if (boxType === 'prft' && end - payload >= 20) {
      const version = view.getUint8(payload);
      const seconds = view.getUint32(payload + 8);
      const fraction = view.getUint32(payload + 12);
      prft = {
        trackId: view.getUint32(payload + 4),
        wallclockMs: (seconds - NTP_UNIX_OFFSET_S) * 1000 + (fraction / 0x1_0000_0000) * 1000,
        mediaTime: version === 1 && end - payload >= 24 ? uint64(view, payload + 16) : view.getUint32(payload + 16),
      };
    } else if (boxType === 'moof' && !first) {
      eachBox(view, payload, end, (child, trafPayload, trafEnd) => {
        if (child !== 'traf' || first) return;
        let trackId: number | undefined;
        let baseDecodeTime: number | undefined;
        eachBox(view, trafPayload, trafEnd, (leaf, leafPayload, leafEnd) => {
          if (leaf === 'tfhd' && leafEnd - leafPayload >= 8) trackId = view.getUint32(leafPayload + 4);
          if (leaf === 'tfdt' && leafEnd - leafPayload >= 8) {
            baseDecodeTime = view.getUint8(leafPayload) === 1 && leafEnd - leafPayload >= 12 ? uint64(view, leafPayload + 4) : view.getUint32(leafPayload + 4);
          }
        });
        if (trackId !== undefined && baseDecodeTime !== undefined) first = { trackId, baseDecodeTime };
      });
    }
  });
  if (!first) return undefined;
  return {
    trackId: first.trackId,
    baseDecodeTime: first.baseDecodeTime,
    wallclockMs: prft?.wallclockMs,
    prftTrackId: prft?.trackId,
    prftMediaTime: prft?.mediaTime,
  };
}

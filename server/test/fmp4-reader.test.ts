import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { MediaError } from '../errors.ts';
import { Fmp4Reader, type ParsedFragment, type ReaderOutput } from '../media/fmp4-reader.ts';
import { parseMoof } from '../media/fragment-parser.ts';
import type { InitInfo } from '../media/types.ts';
import { box, fullBox, topLevelBoxes, u32 } from '../../test/helpers/boxes.ts';
import { fixture, fixturePath } from '../../test/helpers/fixtures.ts';

function read(input: Buffer): ReaderOutput[] {
  const reader = new Fmp4Reader();
  const out: ReaderOutput[] = [];
  reader.push(input, (o) => out.push(o));
  return out;
}

function fragments(outputs: ReaderOutput[]): ParsedFragment[] {
  return outputs.flatMap((o) => (o.kind === 'fragment' ? [o.fragment] : []));
}

function expectMediaError(fn: () => void, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MediaError, `expected a MediaError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

test('reads the init of H.264 + AAC: codecs, timescales, size, sample rate', () => {
  const [first] = read(fixture('av.mp4'));
  assert.equal(first?.kind, 'init');
  const { info, bytes } = (first as Extract<ReaderOutput, { kind: 'init' }>).init;
  assert.deepEqual(topLevelBoxes(bytes).map(([type]) => type), ['ftyp', 'moov']);
  assert.match(info.mime, /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
  const [video, audio] = info.tracks;
  assert.equal(video?.kind, 'video');
  assert.equal(video?.width, 320);
  assert.equal(video?.height, 240);
  assert.ok(video!.timescale > 0);
  assert.equal(audio?.kind, 'audio');
  assert.equal(audio?.sampleRate, 48000);
  assert.equal(audio?.timescale, 48000);
  assert.equal(info.primaryTrackId, video?.id);
});

test('reads fragments: one per frame, keyframes at GOP starts, prft wallclock, monotonic decode time', () => {
  const outputs = read(fixture('av.mp4'));
  const all = fragments(outputs);
  const init = (outputs[0] as Extract<ReaderOutput, { kind: 'init' }>).init.info;
  const video = all.filter((f) => f.info.runs[0]!.trackId === init.primaryTrackId);
  assert.equal(video.length, 60, '2 s at 30 fps, one fragment per frame');
  assert.deepEqual(video.flatMap((f, i) => (f.info.keyframe ? [i] : [])), [0, 30], '1 s GOPs');
  for (const f of video) {
    assert.equal(f.info.runs[0]!.sampleCount, 1);
    assert.ok(f.info.prft, 'ffmpeg -write_prft wallclock puts a prft before each video fragment');
    // Compared with when the (cached) fixture was made, not with now: the cache may be days old.
    assert.ok(Math.abs(f.info.prft.wallclockMs - statSync(fixturePath('av.mp4')).mtimeMs) < 60_000, 'prft is the Unix time the fixture was made');
    assert.deepEqual(topLevelBoxes(f.bytes).map(([type]) => type), ['prft', 'moof', 'mdat']);
  }
  const times = video.map((f) => f.info.decodeTime!);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.ok(Math.abs(video[30]!.info.decodeTime! - 1) < 0.04);
  const audio = all.filter((f) => f.info.runs[0]!.trackId !== init.primaryTrackId);
  assert.ok(audio.length > 80, 'AAC frames at 48 kHz are ~21 ms');
  assert.ok(audio.every((f) => !f.info.keyframe && f.info.duration === 0), 'audio fragments do not start GOPs of an A/V stream');
});

test('reads video-only and audio-only streams', () => {
  const videoOnly = read(fixture('video-only.mp4'));
  const vInit = (videoOnly[0] as Extract<ReaderOutput, { kind: 'init' }>).init.info;
  assert.match(vInit.mime, /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
  assert.equal(fragments(videoOnly).filter((f) => f.info.keyframe).length, 2);

  const audioOnly = read(fixture('audio-only.mp4'));
  const aInit = (audioOnly[0] as Extract<ReaderOutput, { kind: 'init' }>).init.info;
  assert.equal(aInit.mime, 'audio/mp4; codecs="mp4a.40.2"');
  const aFragments = fragments(audioOnly);
  assert.ok(aFragments.length > 80);
  assert.ok(aFragments.every((f) => f.info.keyframe), 'every AAC frame is a sync sample');
  assert.ok(Math.abs(aFragments.reduce((sum, f) => sum + f.info.duration, 0) - 2) < 0.05);
});

test('a second ftyp+moov mid-stream starts a new init', () => {
  const input = fixture('video-only.mp4');
  const outputs = read(Buffer.concat([input, input]));
  assert.deepEqual(outputs.filter((o) => o.kind === 'init').length, 2);
});

test('rejects a fragment before any init', () => {
  const input = fixture('video-only.mp4');
  // After the init: a 32-byte prft, then the moof at byte 32 of what is fed.
  const [, , first] = topLevelBoxes(input);
  expectMediaError(() => read(input.subarray(first![1])), 'MEDIA_FRAGMENT_BEFORE_INIT', /Fragment at byte 32 arrived before any init/);
});

test('rejects a moof not followed by its mdat, and an mdat without a moof', () => {
  const input = fixture('video-only.mp4');
  const boxes = topLevelBoxes(input);
  const initEnd = boxes[1]![2];
  const moof = boxes.find(([type]) => type === 'moof')!;
  const moofBytes = input.subarray(moof[1], moof[2]);
  expectMediaError(() => read(Buffer.concat([input.subarray(0, initEnd), moofBytes, moofBytes])), 'MEDIA_BOX_UNEXPECTED', /"moof" .*expected the mdat/);
  expectMediaError(() => read(Buffer.concat([input.subarray(0, initEnd), box('mdat', Buffer.alloc(10))])), 'MEDIA_BOX_UNEXPECTED', /mdat without a moof/);
});

test('rejects an init that is not a fragmented movie', () => {
  expectMediaError(() => read(Buffer.concat([box('ftyp', Buffer.from('isom\0\0\0\0')), box('moov', box('junk', Buffer.alloc(4)))])), 'MEDIA_INIT_INVALID', /Init segment is invalid/);
});

/** The moov of a real init with `edit` applied to a copy of its bytes; `find` locates a box by type in the moov. */
function withMoov(edit: (moov: Buffer, find: (type: string) => number) => Buffer): Buffer {
  const input = fixture('video-only.mp4');
  const [, [, moovStart, moovEnd]] = topLevelBoxes(input) as [unknown, [string, number, number]];
  const moov = Buffer.from(input.subarray(moovStart, moovEnd));
  const find = (type: string): number => moov.indexOf(type, 0, 'latin1') - 4;
  return Buffer.concat([input.subarray(0, moovStart), edit(moov, find), input.subarray(moovEnd)]);
}

test('rejects a moov table with a forged entry count before mp4box reads it (fuzz seed 33: a V8 abort)', () => {
  // stsz with a constant sample_size: mp4box made one array entry per declared sample without reading any byte.
  const hostile = withMoov((moov, find) => {
    const stsz = find('stsz');
    moov.writeUInt32BE(0xffffff, stsz + 12);
    moov.writeUInt32BE(0xff00ffff, stsz + 16);
    return moov;
  });
  const started = performance.now();
  expectMediaError(() => read(hostile), 'MEDIA_INIT_INVALID', /"stsz" declares 4278255615 entries \(at most 4096/);
  assert.ok(performance.now() - started < 200);
});

test('mp4box sees only the track descriptions of a moov: a udta/meta it cannot read is left out for it, and kept for viewers', () => {
  // An iloc whose counts run past its box: given the whole moov, mp4box reads out of bounds and the init is refused.
  const iloc = fullBox('iloc', 1, 0, Buffer.from([0, 0]), Buffer.from([0xff, 0xff]), Buffer.alloc(64, 0xff));
  const input = withMoov((moov) => {
    const extra = box('udta', fullBox('meta', 0, 0, iloc));
    const grown = Buffer.concat([moov, extra]);
    grown.writeUInt32BE(grown.length, 0);
    return grown;
  });
  const started = performance.now();
  const outputs = read(input);
  assert.ok(performance.now() - started < 500);
  const init = (outputs[0] as Extract<ReaderOutput, { kind: 'init' }>).init;
  assert.match(init.info.mime, /avc1/);
  assert.ok(init.bytes.includes(iloc), 'viewers get the init as it came');
  assert.ok(fragments(outputs).length > 0);
});

test('rejects unknown top-level boxes and keeps styp/emsg with their fragment', () => {
  const input = fixture('video-only.mp4');
  const initEnd = topLevelBoxes(input)[1]![2];
  expectMediaError(() => read(Buffer.concat([input.subarray(0, initEnd), box('wxyz')])), 'MEDIA_BOX_UNEXPECTED', /"wxyz".*not a box of a fragmented MP4/);
  const rest = input.subarray(initEnd);
  const withPrefix = Buffer.concat([input.subarray(0, initEnd), box('styp', Buffer.from('msdh\0\0\0\0')), box('free'), rest]);
  const first = fragments(read(withPrefix))[0]!;
  assert.deepEqual(topLevelBoxes(first.bytes).map(([t]) => t), ['styp', 'prft', 'moof', 'mdat']);
});

// ── moof parsing against hand-made boxes ─────────────────────────────

const INIT: InitInfo = {
  tracks: [{ id: 1, kind: 'video', codec: 'avc1.42e01e', timescale: 90000, defaults: { sampleDuration: 3000, sampleSize: 0, sampleFlags: 0x0101_0000 } }],
  mime: 'video/mp4; codecs="avc1.42e01e"',
  primaryTrackId: 1,
};

function moof(tfhd: Buffer, trun: Buffer): Buffer {
  return box('moof', fullBox('mfhd', 0, 0, u32(7)), box('traf', tfhd, fullBox('tfdt', 1, 0, u32(0, 180000)), trun));
}

test('keyframe flag falls back from trun to tfhd to trex defaults (§8.8.3.1)', () => {
  const plainTfhd = fullBox('tfhd', 0, 0, u32(1));
  const plainTrun = fullBox('trun', 0, 0, u32(2));
  // trex says non-sync; durations from trex.
  let info = parseMoof(moof(plainTfhd, plainTrun), undefined, INIT, 0);
  assert.equal(info.keyframe, false);
  assert.equal(info.duration, 6000 / 90000);
  assert.equal(info.decodeTime, 2);
  assert.equal(info.sequenceNumber, 7);
  // tfhd default_sample_flags (0x20) says sync, default duration (0x08) 1500.
  const tfhd = fullBox('tfhd', 0, 0x28, u32(1, 1500, 0x0200_0000));
  info = parseMoof(moof(tfhd, plainTrun), undefined, INIT, 0);
  assert.equal(info.keyframe, true);
  assert.equal(info.duration, 3000 / 90000);
  // trun first_sample_flags (0x04) wins over tfhd.
  info = parseMoof(moof(tfhd, fullBox('trun', 0, 0x04, u32(2, 0x0001_0000))), undefined, INIT, 0);
  assert.equal(info.keyframe, false);
  // Per-sample durations (0x100) and flags (0x400).
  info = parseMoof(moof(tfhd, fullBox('trun', 0, 0x500, u32(2, 1000, 0x0200_0000, 2000, 0x0101_0000))), undefined, INIT, 0);
  assert.equal(info.keyframe, true);
  assert.equal(info.duration, 3000 / 90000);
});

test('rejects a trun whose sample count exceeds its box, without allocating for it', () => {
  const hostile = moof(fullBox('tfhd', 0, 0, u32(1)), fullBox('trun', 0, 0x300, u32(0x7fff_ffff, 1, 2)));
  expectMediaError(() => parseMoof(hostile, undefined, INIT, 1234), 'MEDIA_FRAGMENT_INVALID', /byte 1234 .*trun sample_count 2147483647 needs/);
});

test('rejects a traf for a track the init does not declare, and a traf without tfdt', () => {
  expectMediaError(() => parseMoof(moof(fullBox('tfhd', 0, 0, u32(9)), fullBox('trun', 0, 0, u32(1))), undefined, INIT, 0), 'MEDIA_FRAGMENT_INVALID', /track 9/);
  const noTfdt = box('moof', box('traf', fullBox('tfhd', 0, 0, u32(1)), fullBox('trun', 0, 0, u32(1))));
  expectMediaError(() => parseMoof(noTfdt, undefined, INIT, 0), 'MEDIA_FRAGMENT_INVALID', /has no tfdt/);
  const overrun = Buffer.from(moof(fullBox('tfhd', 0, 0, u32(1)), fullBox('trun', 0, 0, u32(1))));
  overrun.writeUInt32BE(0xffff, 8); // mfhd claims more than the moof holds
  expectMediaError(() => parseMoof(overrun, undefined, INIT, 0), 'MEDIA_FRAGMENT_INVALID', /overruns its parent/);
});

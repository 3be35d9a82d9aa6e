import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseEngines, HLS_MIME, type PlaybackCapabilities } from '../player/mode-choice.ts';

const H264_AAC = 'video/mp4; codecs="avc1.64001f,mp4a.40.2"';
const HEVC = 'video/mp4; codecs="hvc1.1.6.L93.B0"';

/** A browser described by what it can do: which MediaSource, which types it decodes, whether it plays HLS itself. */
function browser(options: { mediaSource?: PlaybackCapabilities['mediaSource']; decodes?: string[]; nativeHls?: boolean; webSocket?: boolean }): PlaybackCapabilities {
  const decodes = new Set(options.decodes ?? [H264_AAC]);
  return {
    mediaSource: options.mediaSource,
    mseSupports: (mime) => decodes.has(mime),
    canPlay: (type) => type === 'video/mp4' || decodes.has(type) || (type === HLS_MIME && options.nativeHls === true),
    webSocket: options.webSocket ?? true,
  };
}

const CHROME = browser({ mediaSource: 'MediaSource' });
const DESKTOP_SAFARI = browser({ mediaSource: 'MediaSource', nativeHls: true });
const IPHONE_17 = browser({ mediaSource: 'ManagedMediaSource', nativeHls: true });
const IPHONE_16 = browser({ nativeHls: true });
const NO_MSE_NO_HLS = browser({});

test('auto: WebSocket + MSE first wherever a MediaSource exists, then hls.js, the native HLS, the chunked MP4', () => {
  assert.deepEqual(chooseEngines('auto', CHROME), ['ws', 'hls.js', 'mp4']);
  assert.deepEqual(chooseEngines('auto', DESKTOP_SAFARI), ['ws', 'hls.js', 'hls-native', 'mp4']);
  assert.deepEqual(chooseEngines('auto', IPHONE_17), ['ws', 'hls.js', 'hls-native', 'mp4'], "Safari 17's ManagedMediaSource counts");
  assert.deepEqual(chooseEngines('auto', IPHONE_16), ['hls-native', 'mp4']);
  assert.deepEqual(chooseEngines('auto', NO_MSE_NO_HLS), ['mp4']);
  assert.deepEqual(chooseEngines('auto', browser({ mediaSource: 'MediaSource', webSocket: false })), ['hls.js', 'mp4']);
});

test('auto, once the codecs are known: engines that cannot decode them drop out', () => {
  assert.deepEqual(chooseEngines('auto', CHROME, H264_AAC), ['ws', 'hls.js', 'mp4']);
  // A MediaSource that refuses HEVC while the element plays it (Safari on a Mac without hardware support for MSE, say).
  const hevcInElementOnly: PlaybackCapabilities = { ...DESKTOP_SAFARI, canPlay: (type) => type === HEVC || type === HLS_MIME || type === 'video/mp4' };
  assert.deepEqual(chooseEngines('auto', hevcInElementOnly, HEVC), ['hls-native', 'mp4']);
  assert.deepEqual(chooseEngines('auto', CHROME, HEVC), [], 'nothing plays HEVC here');
});

test('a requested mode keeps only its own engines, and none when the browser cannot run it', () => {
  assert.deepEqual(chooseEngines('ws', CHROME), ['ws']);
  assert.deepEqual(chooseEngines('hls', CHROME), ['hls.js']);
  assert.deepEqual(chooseEngines('hls', DESKTOP_SAFARI), ['hls.js', 'hls-native']);
  assert.deepEqual(chooseEngines('mp4', CHROME), ['mp4']);
  assert.deepEqual(chooseEngines('ws', IPHONE_16), []);
  assert.deepEqual(chooseEngines('hls', NO_MSE_NO_HLS), []);
});

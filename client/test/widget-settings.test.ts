import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT } from '../../test/helpers/fixtures.ts';
import { ErrorDetails, PlayerEvent } from '../player/events.ts';
import { attributeFor, CONFIG_NAMES, INFO_NAMES, parseConfig, streamLocation, type ConfigName } from '../widget/settings.ts';

const attributes = (values: Partial<Record<ConfigName, string>>) => (name: ConfigName): string | null => values[name] ?? null;

test('the config comes from the attributes, defaults in place; bad values are listed and replaced by the default', () => {
  assert.deepEqual(parseConfig(attributes({})), {
    config: { src: undefined, mode: 'auto', latency: undefined, poster: undefined, autoplay: false, muted: false, controls: false, stats: false },
    invalid: [],
  });
  const { config } = parseConfig(attributes({ src: ' https://h/streams/a ', mode: 'hls', latency: '0.5', poster: '', autoplay: '', muted: 'false', controls: '', stats: '' }));
  assert.deepEqual(config, { src: 'https://h/streams/a', mode: 'hls', latency: 0.5, poster: '', autoplay: true, muted: true, controls: true, stats: true }, 'boolean attributes: present is on, whatever the value');
  const bad = parseConfig(attributes({ mode: 'fast', latency: '-1' }));
  assert.equal(bad.config.mode, 'auto');
  assert.equal(bad.config.latency, undefined);
  assert.deepEqual(bad.invalid.map((problem) => problem.name), ['latency', 'mode']);
  assert.match(bad.invalid[1]!.why, /auto, ws, hls, mp4/);
});

test('properties become attributes: booleans present or absent, the rest as text', () => {
  assert.equal(attributeFor('muted', true), '');
  assert.equal(attributeFor('muted', false), null);
  assert.equal(attributeFor('latency', 0.4), '0.4');
  assert.equal(attributeFor('poster', undefined), null);
  assert.equal(attributeFor('mode', 'mp4'), 'mp4');
});

test('a stream page URL gives the WebSocket, HLS, MP4 and snapshot URLs, each with its query (a signed link\'s credential)', () => {
  const signed = streamLocation('https://cdn.example/streams/demo/?exp=1700000000&sig=abc#y', 'https://site.example/')!;
  assert.equal(signed.ws, 'wss://cdn.example/streams/demo/ws?exp=1700000000&sig=abc');
  assert.equal(signed.hls, 'https://cdn.example/streams/demo/index.m3u8?exp=1700000000&sig=abc');
  assert.equal(signed.mp4, 'https://cdn.example/streams/demo/live.mp4?exp=1700000000&sig=abc');
  assert.equal(signed.snapshot(500), 'https://cdn.example/streams/demo/snapshot.jpg?width=640&exp=1700000000&sig=abc', 'rounded up to a step of 320');
  const secure = streamLocation('https://cdn.example/streams/demo', 'https://site.example/')!;
  assert.equal(secure.ws, 'wss://cdn.example/streams/demo/ws');
  assert.equal(secure.snapshot(0), 'https://cdn.example/streams/demo/snapshot.jpg?width=320');
  assert.equal(secure.snapshot(10_000), 'https://cdn.example/streams/demo/snapshot.jpg?width=3840');
  assert.equal(streamLocation('/streams/demo', 'http://127.0.0.1:8080/streams/demo?mode=hls')!.ws, 'ws://127.0.0.1:8080/streams/demo/ws');
  assert.equal(streamLocation('javascript:alert(1)', 'https://site.example/'), undefined);
  assert.equal(streamLocation('http://[bad', 'https://site.example/'), undefined);
});

test('docs/embedding.md documents every attribute, read-only property, event and error detail', () => {
  const doc = readFileSync(`${ROOT}docs/embedding.md`, 'utf8');
  const row = (name: string): boolean => new RegExp(`^\\| \`${name}\` \\|`, 'm').test(doc);
  const missing = [
    ...CONFIG_NAMES.filter((name) => !row(name)).map((name) => `attribute ${name}`),
    ...CONFIG_NAMES.filter((name) => !row(`data-${name}`) && !doc.includes(`\`data-${name}\``)).map((name) => `embed option data-${name}`),
    ...INFO_NAMES.filter((name) => !row(name)).map((name) => `property ${name}`),
    ...[...Object.values(PlayerEvent), 'mode', 'live'].filter((name) => !row(name)).map((name) => `event ${name}`),
    ...Object.values(ErrorDetails).filter((name) => !row(name) && !new RegExp(`^\\| [^|]*\`${name}\``, 'm').test(doc)).map((name) => `error ${name}`),
  ];
  assert.deepEqual(missing, []);
});

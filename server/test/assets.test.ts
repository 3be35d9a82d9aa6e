import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Assets } from '../http/assets.ts';
import { playerPage } from '../http/pages.ts';

test('an entry preloads the chunks it imports statically, transitively, and not those it imports on demand', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fragcast-assets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The shapes esbuild writes, minified.
  writeFileSync(join(dir, 'page.js'), 'import{a as l,c as f}from"/assets/chunk-AAA.js";import"/assets/chunk-BBB.js";var o=1;');
  writeFileSync(join(dir, 'chunk-AAA.js'), 'import{b as q}from "/assets/chunk-CCC.js";var x=()=>import("/assets/chunk-LAZY.js");');
  writeFileSync(join(dir, 'chunk-BBB.js'), 'import"/assets/chunk-AAA.js";export{};');
  writeFileSync(join(dir, 'chunk-CCC.js'), 'export var b=1;');
  writeFileSync(join(dir, 'chunk-LAZY.js'), 'import"/assets/chunk-DDD.js";');
  const assets = new Assets(dir);
  assert.deepEqual([...assets.modulePreloads('page.js')].sort(), ['chunk-AAA.js', 'chunk-BBB.js', 'chunk-CCC.js']);
  assert.deepEqual(assets.modulePreloads('chunk-CCC.js'), []);
  assert.deepEqual(assets.modulePreloads('missing.js'), []);
});

test('the built player page names its chunks as modulepreload links beside its module script', () => {
  const assets = new Assets(join(import.meta.dirname, '../../dist'));
  const preloads = assets.modulePreloads('player-page.js');
  assert.ok(preloads.length > 0, 'the built player page imports at least one shared chunk (run npm run build)');
  const summary = { name: 'cam', links: { player: '/streams/cam', ws: '/streams/cam/ws', mp4: '/streams/cam/live.mp4', hls: '/streams/cam/index.m3u8' } };
  const html = playerPage(summary as Parameters<typeof playerPage>[0], '/api/streams/cam/markers', 'auto', assets);
  const head = html.slice(0, html.indexOf('</head>'));
  assert.match(head, /<script type="module" src="\/assets\/player-page\.js"><\/script>/);
  for (const chunk of preloads) assert.ok(head.includes(`<link rel="modulepreload" href="/assets/${chunk}">`), chunk);
});

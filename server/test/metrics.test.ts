import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parsePrometheus, sampleValue, scrape, type Sample } from '../../test/helpers/prometheus.ts';
import { startDemoServer, type TestServer, waitFor } from '../../test/helpers/server.ts';
import { WsViewer } from '../../test/helpers/ws-viewer.ts';

let server: TestServer;

before(async () => {
  server = await startDemoServer();
  await waitFor('a complete GOP (for the bitrate)', () => server.registry.get('demo')!.cache.lastComplete);
});
after(() => server.close());

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number => {
  const found = sampleValue(samples, name, labels);
  assert.ok(found !== undefined, `${name}${JSON.stringify(labels)} is exported`);
  return found;
};

test('/metrics parses as Prometheus text, with types, stream metrics and process metrics', async () => {
  const response = await fetch(`${server.http}/metrics`);
  assert.equal(response.status, 200);
  const { samples, types } = parsePrometheus(await response.text());
  assert.equal(types.get('fragcast_viewers'), 'gauge');
  assert.equal(types.get('fragcast_bytes_out_total'), 'counter');
  assert.equal(types.get('fragcast_fragment_age_at_send_seconds'), 'histogram');
  assert.equal(value(samples, 'fragcast_source_up', { stream: 'demo' }), 1);
  assert.ok(value(samples, 'fragcast_fragments_in_total', { stream: 'demo' }) > 0);
  assert.ok(value(samples, 'fragcast_ingest_bitrate_bits_per_second', { stream: 'demo' }) >= 0);
  assert.ok(value(samples, 'process_resident_memory_bytes') > 10 * 2 ** 20);
  assert.ok(value(samples, 'process_cpu_seconds_total') > 0);
  // Every output has a series from the start, so rates work before the first viewer.
  for (const output of ['ws', 'http-mp4']) assert.equal(typeof value(samples, 'fragcast_viewers', { stream: 'demo', output }), 'number');
  assert.throws(() => parsePrometheus('fragcast_x{stream="a} 1'), /not a Prometheus sample line|bad labels/);
});

test('viewer metrics move when a viewer connects, receives and leaves', async () => {
  const before = await scrape(server.http);
  const labels = { stream: 'demo', output: 'ws' };
  const viewer = new WsViewer(`${server.ws}/streams/demo/ws`);
  await waitFor('fragments across a keyframe', () => viewer.json().filter((m) => m.type === 'keyframe').length >= 2, 5000);
  const during = await scrape(server.http);
  assert.equal(value(during, 'fragcast_viewers', labels) - value(before, 'fragcast_viewers', labels), 1);
  assert.equal(value(during, 'fragcast_viewer_sessions_total', labels) - value(before, 'fragcast_viewer_sessions_total', labels), 1);
  assert.ok(value(during, 'fragcast_bytes_out_total', labels) - value(before, 'fragcast_bytes_out_total', labels) > 100_000);
  assert.ok(value(during, 'fragcast_fragments_out_total', labels) > value(before, 'fragcast_fragments_out_total', labels));
  // One age observation per keyframe sent: the cached one at the start, then live ones.
  const ages = value(during, 'fragcast_fragment_age_at_send_seconds_count', labels) - (sampleValue(before, 'fragcast_fragment_age_at_send_seconds_count', labels) ?? 0);
  assert.ok(ages >= 2, `${ages} age observations`);
  viewer.close();
  await waitFor('the viewer to leave', () => server.viewers.size === 0);
  const afterwards = await scrape(server.http);
  assert.equal(value(afterwards, 'fragcast_viewers', labels), value(before, 'fragcast_viewers', labels));
  // Counters keep what the viewer was sent after it leaves.
  assert.ok(value(afterwards, 'fragcast_bytes_out_total', labels) >= value(during, 'fragcast_bytes_out_total', labels));
});

test('the HLS hook counts blocked requests: waiting now, and how they ended', async () => {
  const release = server.metrics.hlsBlocked('demo');
  const second = server.metrics.hlsBlocked('demo');
  let samples = await scrape(server.http);
  assert.equal(value(samples, 'fragcast_hls_blocked_requests', { stream: 'demo' }), 2);
  release('ready');
  release('timeout'); // ignored: a request ends once
  second('aborted');
  samples = await scrape(server.http);
  assert.equal(value(samples, 'fragcast_hls_blocked_requests', { stream: 'demo' }), 0);
  assert.equal(value(samples, 'fragcast_hls_blocked_requests_total', { stream: 'demo', outcome: 'ready' }), 1);
  assert.equal(value(samples, 'fragcast_hls_blocked_requests_total', { stream: 'demo', outcome: 'aborted' }), 1);
  assert.equal(sampleValue(samples, 'fragcast_hls_blocked_requests_total', { stream: 'demo', outcome: 'timeout' }), undefined);
});

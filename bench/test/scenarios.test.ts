/**
 * A smoke run of every bench scenario with a few viewers for a few seconds,
 * so the suite cannot rot. It checks that each scenario runs end to end and
 * reports what it measured — never how fast (that is `npm run bench`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FanoutResult } from '../fanout.ts';
import { runScenario, SCENARIOS } from '../run.ts';

const SMOKE = { clients: 4, duration: 2, bitrate: 2, quiet: true };

for (const name of Object.keys(SCENARIOS)) {
  test(`bench scenario "${name}" runs end to end`, { timeout: 120_000 }, async () => {
    const { report, markdown } = await runScenario(name, { ...SMOKE, clients: name === 'ttff' ? 2 : SMOKE.clients });
    assert.equal(report.scenario, name);
    assert.ok(report.rows.length >= 1, 'a result row');
    assert.match(markdown, new RegExp(`^### ${name}: `));
    const fanouts = (Array.isArray(report.raw) ? report.raw : [(report.raw as { load?: FanoutResult }).load ?? report.raw]) as Partial<FanoutResult>[];
    for (const fanout of fanouts.filter((f) => f?.delivered !== undefined)) {
      assert.ok(fanout.delivered! > 0, `${fanout.server} delivered bytes to its viewers`);
      assert.equal(fanout.errors, 0, `${fanout.server} had no connection errors`);
    }
    if (name === 'compare') assert.deepEqual(new Set((report.raw as FanoutResult[]).map((r) => r.server)), new Set(['fragcast', 'uws-ceiling', 'ws-baseline', 'nms']));
    if (name === 'ttff') assert.equal((report.raw as { times: number[] }).times.length, 2);
  });
}

test('bench scenario "fanout-http" runs with --fanout-threads 1: viewers served by a thread, the flag in the command line', { timeout: 120_000 }, async () => {
  const { report, markdown } = await runScenario('fanout-http', { ...SMOKE, fanoutThreads: 1 });
  const fanout = report.raw as FanoutResult;
  assert.ok(fanout.delivered > 0.5, `delivered ${fanout.delivered}`);
  assert.equal(fanout.errors, 0);
  assert.match(markdown, /npm run bench -- fanout-http --clients 4 --duration 2 --bitrate 2 --fanout-threads 1`/);
});

/**
 * The ceiling: bare uWebSockets.js publishing each fragment to every viewer
 * with `app.publish` — no protocol, no cache, no per-viewer policy. What
 * fragcast adds on top is measured against this.
 */
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';
import { loopArgs } from '../media.ts';
import { pipeFragments } from './fragment-pipe.ts';
import { announceReady, ArrivalLog } from './ipc.ts';

const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof UWS;
let init: Buffer | undefined;
const arrivals = new ArrivalLog();
const app = uws.App().ws('/ws', {
  compression: uws.DISABLED,
  maxPayloadLength: 1024,
  // Large enough that uWS never drops for a viewer that keeps up at all.
  maxBackpressure: 16 * 1024 * 1024,
  idleTimeout: 120,
  open: (ws) => {
    if (init) ws.send(init, true);
    ws.subscribe('live');
  },
});
const source = pipeFragments(
  loopArgs(process.argv[2]!),
  (bytes) => (init = bytes),
  (fragment) => {
    arrivals.recordBytes(fragment, Date.now());
    app.publish('live', fragment, true);
  },
);
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) throw new Error('listen failed');
  announceReady({ port: uws.us_socket_local_port(socket as unknown as UWS.us_socket), wsPath: '/ws', format: 'fmp4' }, source.bytesIn, arrivals);
});

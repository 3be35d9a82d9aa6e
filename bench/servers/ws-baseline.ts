/**
 * The baseline a Node user would write: the `ws` library on node:http,
 * sending each fragment to every open client.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { loopArgs } from '../media.ts';
import { pipeFragments } from './fragment-pipe.ts';
import { announceReady, ArrivalLog } from './ipc.ts';

let init: Buffer | undefined;
const arrivals = new ArrivalLog();
const http = createServer();
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws: WebSocket) => {
  if (init) ws.send(init);
});
const source = pipeFragments(
  loopArgs(process.argv[2]!),
  (bytes) => (init = bytes),
  (fragment) => {
    arrivals.recordBytes(fragment, Date.now());
    for (const client of wss.clients) if (client.readyState === 1) client.send(fragment);
  },
);
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  announceReady({ port: typeof address === 'object' && address ? address.port : 0, wsPath: '/ws', format: 'fmp4' }, source.bytesIn, arrivals);
});

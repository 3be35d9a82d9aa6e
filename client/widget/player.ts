/**
 * `player.js`: the ES module that registers `<fragcast-player>`. Served at
 * `/player.js` (stable URL, short cache); what it imports are content-hashed
 * chunks under `/assets/` (immutable). hls.js is a chunk of its own, fetched
 * only when a player uses HLS.
 */
import { defineFragcastPlayer } from './fragcast-player.ts';

export { FragcastPlayerElement, defineFragcastPlayer } from './fragcast-player.ts';

defineFragcastPlayer();

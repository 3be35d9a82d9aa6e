import type { Stream } from '../../server/streams/stream.ts';

/** The little of a Stream a viewer session reads at its start: a name, an init of generation 1, no cached GOP, no markers. */
export function stubStream(): Stream {
  const init = { generation: 1, bytes: Buffer.from('init'), info: { mime: 'video/mp4; codecs="avc1.64001f"', tracks: [] } };
  return { name: 'cam', init, cache: { newest: undefined }, markers: { list: () => [] } } as unknown as Stream;
}

import { measureFanout } from '../fanout.ts';
import { deliveredCheck, fanoutRow, FANOUT_COLUMNS, type Scenario } from '../scenario.ts';

/** Many chunked `live.mp4` viewers of one stream. */
export const fanoutHttp: Scenario = async ({ clients = 4000, duration, settle, mediaPath, bitrate, fanoutThreads, log }) => {
  const result = await measureFanout({ server: 'fragcast', mediaPath, fanoutThreads, protocol: 'http', clients, duration, settle, log });
  return {
    scenario: 'fanout-http',
    title: `${clients} chunked HTTP viewers of one ${bitrate} Mbit/s stream`,
    columns: FANOUT_COLUMNS,
    rows: [fanoutRow('fragcast (live.mp4)', result)],
    targets: [deliveredCheck(result)],
    raw: result,
  };
};

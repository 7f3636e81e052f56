/**
 * The replay exchange in its own process for the latency bench, as in a real deployment where the
 * exchange is not on the collector's event loop. Prints {"restUrl","wsUrl"} once listening.
 *   tsx bench/replay-process.ts '<ReplayOptions as JSON, without dataDir>'
 */
import { sharedKlinesDir } from '@regime/candles/files';
import { startReplayExchange } from '@regime/replay-exchange';

const replay = await startReplayExchange({
  dataDir: sharedKlinesDir(),
  ...JSON.parse(process.argv[2] ?? '{}'),
});
console.log(JSON.stringify({ restUrl: replay.restUrl, wsUrl: replay.wsUrl }));
process.on('SIGTERM', () => {
  void replay.close().then(() => process.exit(0));
});

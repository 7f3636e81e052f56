/**
 * npm run bench -w @regime/binance
 * REST paging throughput (BinanceRest.klinesBetween through the replay exchange, one year of 5m
 * candles, every row parsed and validated) and WebSocket message parsing throughput.
 */
import { performance } from 'node:perf_hooks';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { startReplayExchange } from '@regime/replay-exchange';
import { machineLoad } from '@regime/service';
import { BinanceRest, parseKlineMessage } from '../src/index.ts';

if (!hasSharedKlines()) {
  console.log('[binance bench] ../shared/data/klines is missing: skipped');
  process.exit(0);
}

const from = Date.UTC(2024, 0, 1);
const to = Date.UTC(2025, 0, 1);
const replay = await startReplayExchange({
  dataDir: sharedKlinesDir(),
  from: to,
  speed: 1,
  weightLimit1m: 1e9,
});
const rest = new BinanceRest({ baseUrl: replay.restUrl, maxUsedWeight1m: 1e9 });
let candles = 0;
let started = performance.now();
for await (const page of rest.klinesBetween('BTCUSDT', '5m', from, to)) candles += page.length;
let seconds = (performance.now() - started) / 1000;
console.log(
  `REST paging: ${candles} candles in ${seconds.toFixed(2)} s = ${Math.round(candles / seconds)} candles/s ` +
    `(${rest.stats.requests} requests, replay server in the same process); ${machineLoad()}`,
);
await replay.close();

const message = JSON.stringify({
  stream: 'btcusdt@kline_5m',
  data: {
    e: 'kline',
    E: 1704067500123,
    s: 'BTCUSDT',
    k: {
      t: 1704067200000,
      T: 1704067499999,
      s: 'BTCUSDT',
      i: '5m',
      f: 1,
      L: 5000,
      o: '42283.58000000',
      c: '42397.23000000',
      h: '42397.23000000',
      l: '42261.02000000',
      v: '155.25731000',
      n: 5000,
      x: false,
      q: '6573000.12000000',
      V: '80.10000000',
      Q: '3390000.50000000',
      B: '0',
    },
  },
});
const n = 200_000;
started = performance.now();
for (let i = 0; i < n; i++) if (!parseKlineMessage(message).ok) throw new Error('bench message refused');
seconds = (performance.now() - started) / 1000;
console.log(`parseKlineMessage: ${Math.round(n / seconds)} messages/s`);

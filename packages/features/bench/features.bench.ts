/**
 * Speed of the three paths the system uses. Prints numbers; never fails on them.
 *   npm run bench -w @regime/features
 */
import os from 'node:os';
import { type Candle, INTERVAL_MS, type Interval } from '@regime/candles';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '@regime/candles/files';
import {
  type CandleHistory,
  featureSeries,
  featureWindow,
  featureWindows,
  IncrementalFeatures,
  WINDOW_INTERVALS,
  warmupCandles,
} from '../src/index.ts';

const DAY = 86_400_000;
const from = Date.UTC(2024, 0, 1);
const to = from + 45 * DAY;

function load(): { history: CandleHistory; source: string } {
  if (hasSharedKlines()) {
    const dir = sharedKlinesDir();
    const read = (interval: Interval) => readKlineFiles(dir, 'BTCUSDT', interval, { from, to });
    return {
      history: { '5m': read('5m'), '15m': read('15m'), '1h': read('1h') },
      source: 'BTCUSDT ../shared',
    };
  }
  const fives: Candle[] = [];
  let price = 40_000;
  for (let t = from; t < to; t += INTERVAL_MS['5m']) {
    const close = price * (1 + Math.sin(t / 7e6) * 0.002);
    fives.push({
      openTime: t,
      open: price,
      high: Math.max(price, close) * 1.001,
      low: Math.min(price, close) * 0.999,
      close,
      volume: 1,
      closeTime: t + 299_999,
      closed: true,
    });
    price = close;
  }
  const agg = (interval: Interval) => {
    const per = INTERVAL_MS[interval] / INTERVAL_MS['5m'];
    const out: Candle[] = [];
    for (let i = 0; i + per <= fives.length; i += per) {
      const part = fives.slice(i, i + per);
      out.push({
        ...part[0]!,
        high: Math.max(...part.map((c) => c.high)),
        low: Math.min(...part.map((c) => c.low)),
        close: part.at(-1)!.close,
        closeTime: part[0]!.openTime + INTERVAL_MS[interval] - 1,
      });
    }
    return out;
  };
  return {
    history: { '5m': fives, '15m': agg('15m'), '1h': agg('1h') },
    source: 'generated (../shared missing)',
  };
}

/**
 * Median wall time (ms) of `runs` calls, after `warm` unmeasured calls (JIT). The machine is shared,
 * so the CPU time of the process over the same calls is printed too (less sensitive to other load).
 */
function median(runs: number, warm: number, fn: () => void): number {
  for (let i = 0; i < warm; i++) fn();
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  lastCpuMs = cpus[Math.floor(cpus.length / 2)]!;
  return times[Math.floor(times.length / 2)]!;
}
let lastCpuMs = 0;
const cpu = (scale = 1, digits = 2) => `(cpu ${(lastCpuMs * scale).toFixed(digits)})`;

const { history, source } = load();
const counts = WINDOW_INTERVALS.map((i) => `${history[i].length} ${i}`).join(', ');
console.log(
  `@regime/features bench — ${source}, 45 days: ${counts}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
);

// 1. Batch: the 12 features of every candle of the three intervals.
const batchMs = median(15, 3, () => {
  for (const interval of WINDOW_INTERVALS) featureSeries(history[interval], interval);
});
console.log(`batch features, 45 days × 3 intervals:   ${batchMs.toFixed(2)} ms ${cpu()}  (target < 50 ms)`);

// 2. One incremental update (and one peek) on a warmed-up 5m stream: mean over the rest of the stream.
const warmup = history['5m'].slice(0, 2000);
const rest = history['5m'].slice(2000);
const out = new Float64Array(12);
const engines = Array.from({ length: 11 }, () => {
  const e = new IncrementalFeatures('5m');
  for (const c of warmup) e.update(c, out);
  return e;
});
let used = 0;
const updateUs =
  (median(9, 2, () => {
    const e = engines[used++]!;
    for (const c of rest) e.update(c, out);
  }) *
    1000) /
  rest.length;
const updateCpu = cpu(1000 / rest.length);
const engine = engines[0]!;
const next = { ...rest[0]!, openTime: engine.lastOpen + 300_000, closeTime: engine.lastOpen + 599_999 };
const peekUs =
  (median(9, 2, () => {
    for (let i = 0; i < 10_000; i++) engine.peek(next, out);
  }) *
    1000) /
  10_000;
console.log(
  `one incremental update (12 features):    ${updateUs.toFixed(2)} µs ${updateCpu}  (target < 20 µs); one peek ${peekUs.toFixed(2)} µs ${cpu(0.1)}`,
);

// 3. One 64 × 36 window as of T, from exactly the candles the predictor reads (warmupCandles()).
const need = warmupCandles();
const T = to - 2 * DAY + 10 * 60_000; // 5m-aligned, inside a 15m period: a partial newest step
const slice: CandleHistory = {
  '5m': history['5m'].filter((c) => c.openTime + 300_000 <= T).slice(-need['5m']),
  '15m': history['15m'].filter((c) => c.openTime + 900_000 <= T).slice(-need['15m']),
  '1h': history['1h'].filter((c) => c.openTime + 3_600_000 <= T).slice(-need['1h']),
};
// 20 calls per sample: a single call is too short for the process CPU clock.
const windowUs =
  (median(15, 3, () => {
    for (let i = 0; i < 20; i++) featureWindow(slice, T);
  }) *
    1000) /
  20;
console.log(
  `one 64 × 36 window as of T:               ${windowUs.toFixed(0)} µs ${cpu(50, 0)}  (target < 2000 µs; history = warmupCandles() = ${JSON.stringify(need)})`,
);

// 4. Training path: many windows in one pass.
const asOfs: number[] = [];
for (let t = from + 20 * DAY; t < to; t += 300_000) asOfs.push(t);
const batchWindowsMs = median(5, 2, () => featureWindows(history, asOfs));
console.log(
  `featureWindows, ${asOfs.length} as-of instants (every 5m, 25 days): ${batchWindowsMs.toFixed(0)} ms ${cpu(1, 0)} = ${((batchWindowsMs * 1000) / asOfs.length).toFixed(1)} µs/window wall`,
);

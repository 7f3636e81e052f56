/**
 * `npm run bench -w packages/inference`: the drift of one symbol as of T (driftAsOf: 288 official
 * instants of model inputs built as the predictor builds them, PSI of the 83 inputs against the
 * shipped model's training distribution), as the trainer runs it hourly per symbol. Candles from
 * ../shared through the file source (the trainer reads QuestDB instead). Prints wall and CPU time,
 * the worst input, and the load average.
 */
import { availableParallelism, loadavg } from 'node:os';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { defaultModelDir, loadInputDistribution, loadRegimeModel } from '@regime/model';
import { fileCandleSource } from '@regime/model/candle-source';
import { driftAsOf } from '../src/drift.ts';

const SYMBOL = process.env.BENCH_SYMBOL ?? 'BTCUSDT';
const AS_OF = Date.UTC(2025, 9, 15);

if (!hasSharedKlines()) {
  console.log(`drift bench skipped: no candles in ${sharedKlinesDir()}`);
  process.exit(0);
}
const model = await loadRegimeModel(defaultModelDir());
const distribution = await loadInputDistribution(defaultModelDir());
if (!distribution) throw new Error(`${defaultModelDir()} has no input-distribution.json`);
const source = fileCandleSource(sharedKlinesDir());
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
for (let hour = 0; hour < 3; hour++) {
  const asOf = AS_OF + hour * 3_600_000;
  const wall = performance.now();
  const cpu = cpuMs();
  const drift = await driftAsOf(model, distribution, SYMBOL, asOf, source);
  const worst = drift.rows.reduce((a, b) => (b.psi > a.psi ? b : a));
  console.log(
    `${SYMBOL} as of ${new Date(asOf).toISOString()}: ${drift.instants} instants (${drift.missed.length} missed), ` +
      `${drift.rows.length} inputs in ${(performance.now() - wall).toFixed(0)} ms wall, ${(cpuMs() - cpu).toFixed(0)} ms CPU ` +
      `(reading the candles included); largest PSI ${worst.psi.toFixed(3)} (${worst.feature}), ` +
      `${drift.rows.filter((r) => r.psi > 0.25).length} inputs > 0.25, ${drift.major.length} above their calibrated threshold`,
  );
}
model.dispose();
console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);

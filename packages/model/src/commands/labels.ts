import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  DEFAULT_LABELER_PARAMS,
  LABELER_VERSION,
  labelReport,
  REGIME_LABELS,
  REGIMES,
  SeriesLabeler,
  settleCurve,
} from '@regime/labeler';
import { candleRange } from '../period-data.ts';
import { iso, logger, openSource, type SourceOptions } from './options.ts';

/** Labeler 2 on real candles: coverage, persistence, character and settling (the tables of REGIMES.md). */
export async function labels(opts: SourceOptions & { out?: string; settle?: boolean }): Promise<void> {
  if (opts.from === undefined || opts.to === undefined) throw new Error('labels needs --from and --to');
  if (!(opts.from < opts.to)) throw new Error('--from must be before --to');
  const symbols = opts.symbols ?? ['BTCUSDT'];
  const params = DEFAULT_LABELER_PARAMS;
  const period = { from: opts.from, to: opts.to };
  const source = await openSource(opts);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const summary = [
    `Labeler ${LABELER_VERSION} on every 15-minute bar from ${iso(period.from)} to ${iso(period.to)} (${source.description}).`,
    '',
    '| symbol | labelled bars | skipped (gap) | skipped (unsettled) | switches / day | mean run |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const character = [
    '',
    'Per regime: share of the labelled bars, number of segments, mean run, and the medians over its segments of the realised volatility (annualised, from 15m returns), the efficiency ratio and the absolute net move.',
    '',
    '| symbol | regime | share | segments | mean run | realised vol | efficiency | net move |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const settle: string[] = [];
  try {
    for (const symbol of symbols) {
      const started = performance.now();
      const history = await source.history(symbol, candleRange(period, params));
      const labeler = new SeriesLabeler(history['5m'], params);
      const report = labelReport(labeler, period);
      logger.info(
        `${symbol}: labelled ${report.labelledBars} bars in ${((performance.now() - started) / 1000).toFixed(1)} s (reading included)`,
      );
      const hours = (minutes: number) => `${(minutes / 60).toFixed(1)} h`;
      summary.push(
        `| ${symbol} | ${report.labelledBars} | ${report.skipped.gap} | ${report.skipped.unsettled} | ${report.switchesPerDay.toFixed(2)} | ${hours(report.meanRunMinutes)} |`,
      );
      for (const regime of REGIMES) {
        const c = report.regimes[regime];
        character.push(
          `| ${symbol} | ${REGIME_LABELS[regime]} | ${pct(c.share)} | ${c.segments} | ${hours(c.meanRunMinutes)} | ${pct(c.realisedVolatility)} | ${c.efficiency.toFixed(2)} | ${pct(c.netMove)} |`,
        );
      }
      if (opts.settle) {
        const curve = settleCurve(labeler, params, period, {
          maxAgeBars: 192,
          contextBars: 2880,
          everyBars: 24,
        });
        const ages = [0, 1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192];
        if (settle.length === 0) {
          settle.push(
            '',
            'Settling: share of bars whose label, computed when the bar was a given age (hours of data after it), differs from the label computed with all the data.',
            '',
            `| symbol | cutoffs | ${ages.map((a) => `${a / 4} h`).join(' | ')} |`,
            `| --- | ---: | ${ages.map(() => '---:').join(' | ')} |`,
          );
        }
        settle.push(
          `| ${symbol} | ${curve.cutoffs} | ${ages.map((a) => pct(curve.changed[a] ?? 0)).join(' | ')} |`,
        );
      }
    }
  } finally {
    await source.close();
  }
  const text = `${[...summary, ...character, ...settle].join('\n')}\n`;
  if (opts.out) await writeFile(resolve(opts.out), text);
  process.stdout.write(text);
}

import type { BackfillProgress, SeriesSummary } from '@regime/kline-backfill';
import cliProgress from 'cli-progress';

/** One cli-progress bar per symbol × interval, for an interactive terminal. */
export function barProgress(): BackfillProgress & { stop(): void } {
  const multibar = new cliProgress.MultiBar(
    {
      format: '{series} |{bar}| {percentage}% {value}/{total} candles {status}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  return {
    seriesStarted(series, total) {
      // An empty bar would show 0/0 as NaN%; 1 of 1 reads as done.
      bars.set(
        series,
        multibar.create(Math.max(total, 1), total === 0 ? 1 : 0, { series: series.padEnd(13), status: '' }),
      );
    },
    seriesAdvanced(series, done) {
      bars.get(series)?.update(done);
    },
    seriesFinished(series, summary) {
      const bar = bars.get(series);
      if (!bar) return;
      if (summary.error === undefined) bar.update(bar.getTotal(), { status: 'done' });
      else bar.update({ status: 'FAILED' });
    },
    stop() {
      // Stopping twice would redraw the bars over whatever was printed after the first stop.
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}

/** Plain text lines (start, every 20 %, end) when stdout is not a terminal, e.g. in CI or a container. */
export function lineProgress(
  print: (line: string) => void = console.log,
): BackfillProgress & { stop(): void } {
  const state = new Map<string, { total: number; reported: number }>();
  return {
    seriesStarted(series, total) {
      state.set(series, { total, reported: 0 });
      print(`${series}: ${total === 0 ? 'everything already stored' : `${total} candles to fetch`}`);
    },
    seriesAdvanced(series, done) {
      const s = state.get(series);
      if (!s || s.total === 0) return;
      const percent = Math.floor((done / s.total) * 5) * 20;
      if (percent > s.reported && percent < 100) {
        s.reported = percent;
        print(`${series}: ${percent}% (${done}/${s.total})`);
      }
    },
    seriesFinished(series, summary: SeriesSummary) {
      print(
        summary.error === undefined
          ? `${series}: done, ${summary.written} rows written`
          : `${series}: FAILED: ${summary.error}`,
      );
    },
    stop() {},
  };
}

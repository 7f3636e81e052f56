import type { BackfillSummary, SeriesSummary } from '@regime/kline-backfill';
import { iso } from '@regime/kline-backfill';

/** The end-of-run report, one block per series, for people reading a terminal or a CI log. */
export function formatSummary(summary: BackfillSummary): string {
  const lines = [`backfill ${iso(summary.from)} → ${iso(summary.to)}`];
  for (const s of summary.series) lines.push(...seriesLines(s));
  const written = summary.series.reduce((n, s) => n + s.written, 0);
  const failed = summary.series.filter((s) => s.error !== undefined).length;
  lines.push(
    failed === 0
      ? `done: ${written} rows written`
      : `FAILED: ${failed} of ${summary.series.length} series failed (${written} rows written)`,
  );
  return lines.join('\n');
}

function seriesLines(s: SeriesSummary): string[] {
  const head = `  ${s.symbol} ${s.interval}:`;
  if (s.error !== undefined) return [`${head} FAILED: ${s.error} (${s.written} rows written before)`];
  if (!s.range) return [`${head} nothing closed in the period yet`];
  const lines = [
    `${head} ${s.written} rows written, ${s.alreadyStored} already stored` +
      `, ${s.gaps.length} exchange gap(s)` +
      (s.rejected.length > 0 ? `, ${s.rejected.length} invalid candle(s) rejected` : '') +
      (s.duplicates > 0 ? `, ${s.duplicates} duplicate(s) ignored` : ''),
  ];
  for (const gap of s.gaps)
    lines.push(`    gap: ${iso(gap.from)} → ${iso(gap.to)} (${gap.count} candles missing)`);
  for (const r of s.rejected.slice(0, 5))
    lines.push(
      `    rejected ${r.openTime === undefined ? '(open time unreadable)' : iso(r.openTime)}: ${r.problem} (${r.detail})`,
    );
  if (s.rejected.length > 5) lines.push(`    … and ${s.rejected.length - 5} more rejected`);
  return lines;
}

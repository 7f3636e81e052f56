import { describe, expect, it } from 'vitest';
import { hasSharedKlines, readKlineFiles, sharedKlinesDir } from '../src/files.ts';
import { candleProblem } from '../src/validate.ts';

const shared = hasSharedKlines();

describe.skipIf(!shared)('readKlineFiles on ../shared/data/klines', () => {
  it('reads one month of 5m candles in order, every one valid and 5 minutes apart', () => {
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2024, 1, 1);
    const candles = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '5m', { from, to });
    expect(candles).toHaveLength(31 * 288);
    expect(candles[0]!.close).toBe(42397.23); // PROVENANCE.md: first 5m candle of 2024
    for (let i = 0; i < candles.length; i++) {
      expect(candleProblem(candles[i]!, '5m')).toBeUndefined();
      if (i > 0) expect(candles[i]!.openTime - candles[i - 1]!.openTime).toBe(300_000);
    }
  });

  it('keeps the optional Binance fields of 15m files', () => {
    const [c] = readKlineFiles(sharedKlinesDir(), 'BTCUSDT', '15m', {
      from: Date.UTC(2024, 0, 1),
      to: Date.UTC(2024, 0, 1, 0, 15),
    });
    expect(c?.trades).toBe(16651);
    expect(c?.quoteVolume).toBeCloseTo(18304686.5025287, 6);
  });
});

if (!shared) console.warn('[candles] ../shared/data/klines is missing: real-data tests skipped');

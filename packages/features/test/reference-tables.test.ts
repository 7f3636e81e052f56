import { describe, expect, it } from 'vitest';
import {
  Adx,
  Atr,
  adx,
  atr,
  BollingerWidth,
  bollinger,
  ema,
  Macd,
  macd,
  Roc,
  Rsi,
  roc,
  rsi,
  StochasticK,
  stochasticK,
} from '../src/index.ts';
import { hasReferenceTables, readTable, relClose } from './helpers.ts';

const TOL = 1e-6;
const tables = hasReferenceTables();
if (!tables)
  console.warn('[features] ../shared/reference/indicator-vectors is missing: reference-table tests skipped');

/** Compares every row where the table has a value (or rows `only`), returns how many rows were compared. */
function expectMatches(ours: ArrayLike<number>, table: number[], label: string, only?: number[]): number {
  const rows = only ?? table.map((_, i) => i).filter((i) => !Number.isNaN(table[i]!));
  for (const i of rows) {
    if (!relClose(ours[i]!, table[i]!, TOL)) {
      throw new Error(`${label} row ${i}: ours ${ours[i]} vs table ${table[i]}`);
    }
  }
  return rows.length;
}

/** Runs an incremental indicator over the rows, peeking before each update: both must give the same value. */
function streamed(len: number, peek: (i: number) => number, update: (i: number) => number): Float64Array {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const peeked = peek(i);
    out[i] = update(i);
    if (!Object.is(peeked, out[i])) throw new Error(`row ${i}: peek ${peeked} ≠ update ${out[i]}`);
  }
  return out;
}

describe.skipIf(!tables)('indicators match the StockCharts reference tables (1e-6 relative)', () => {
  it('ADX(14): +DI, −DI, DX and ADX on every defined row', () => {
    const t = readTable('cs-adx.csv')!;
    const ours = adx(t.High!, t.Low!, t.Close!, 14);
    expect(expectMatches(ours.plusDi, t['+DI14']!, '+DI14')).toBe(t.Close!.length - 14);
    expectMatches(ours.minusDi, t['-DI14']!, '-DI14');
    expectMatches(ours.dx, t.DX!, 'DX');
    expect(expectMatches(ours.adx, t.ADX!, 'ADX')).toBe(t.Close!.length - 27);
    const engine = new Adx(14);
    const s = streamed(
      t.Close!.length,
      (i) => engine.peek(t.High![i]!, t.Low![i]!, t.Close![i]!),
      (i) => engine.update(t.High![i]!, t.Low![i]!, t.Close![i]!),
    );
    expectMatches(s, t.ADX!, 'ADX streamed');
  });

  it.each([
    ['cs-atr.csv', 14],
    ['cs-atr2.csv', 10],
  ])('%s: ATR(%i) on every row past the warm-up placeholders', (file, window) => {
    const t = readTable(file)!;
    const n = t.Close!.length;
    // The table writes 0 where ATR is not defined yet (rows before window − 1).
    for (let i = 0; i < window - 1; i++) expect(t.ATR![i]).toBe(0);
    const rows = Array.from({ length: n - window + 1 }, (_, k) => k + window - 1);
    expectMatches(atr(t.High!, t.Low!, t.Close!, window), t.ATR!, 'ATR', rows);
    const engine = new Atr(window);
    const s = streamed(
      n,
      (i) => engine.peek(t.High![i]!, t.Low![i]!, t.Close![i]!),
      (i) => engine.update(t.High![i]!, t.Low![i]!, t.Close![i]!),
    );
    expectMatches(s, t.ATR!, 'ATR streamed', rows);
  });

  it('Bollinger(20, 2): middle, population std, bands and width', () => {
    const t = readTable('cs-bbands.csv')!;
    const ours = bollinger(t.Close!, 20, 2);
    expect(expectMatches(ours.middle, t.MiddleBand!, 'middle')).toBe(t.Close!.length - 19);
    expectMatches(ours.std, t['20-day Standard Deviation']!, 'std');
    expectMatches(ours.upper, t.HighBand!, 'upper');
    expectMatches(ours.lower, t.LowBand!, 'lower');
    expectMatches(ours.width, t.WidthBand!, 'width');
    const engine = new BollingerWidth(20, 2);
    const s = streamed(
      t.Close!.length,
      (i) => engine.peek(t.Close![i]!),
      (i) => engine.update(t.Close![i]!),
    );
    expectMatches(s, t.WidthBand!, 'width streamed');
  });

  it('MACD(12, 26, 9): EMAs and line on every row; signal and histogram on the last 10 rows', () => {
    const t = readTable('cs-macd.csv')!;
    const n = t.Close!.length;
    expectMatches(ema(t.Close!, 12), t.short_ema!, 'EMA12');
    expectMatches(ema(t.Close!, 26), t.long_ema!, 'EMA26');
    const ours = macd(t.Close!, 12, 26, 9);
    expect(expectMatches(ours.line, t.MACD_line!, 'line')).toBe(n - 1);
    // The table seeds its signal line from row 2; ta (and we) from row 25, so compare once converged.
    const last10 = Array.from({ length: 10 }, (_, k) => n - 10 + k);
    expectMatches(ours.signal, t.MACD_signal!, 'signal', last10);
    expectMatches(ours.histogram, t.MACD_diff!, 'histogram', last10);
    const engine = new Macd(12, 26, 9);
    const s = streamed(
      n,
      (i) => engine.peek(t.Close![i]!),
      (i) => engine.update(t.Close![i]!),
    );
    expectMatches(s, t.MACD_diff!, 'histogram streamed', last10);
  });

  it('RSI(14) on every defined row', () => {
    const t = readTable('cs-rsi.csv')!;
    expect(expectMatches(rsi(t.Close!, 14).rsi, t.RSI!, 'RSI')).toBe(t.Close!.length - 14);
    const engine = new Rsi(14);
    const s = streamed(
      t.Close!.length,
      (i) => engine.peek(t.Close![i]!),
      (i) => engine.update(t.Close![i]!),
    );
    expectMatches(s, t.RSI!, 'RSI streamed');
  });

  it('stochastic %K(14) on every defined row', () => {
    const t = readTable('cs-soo.csv')!;
    expect(expectMatches(stochasticK(t.High!, t.Low!, t.Close!, 14), t.SO!, '%K')).toBe(t.SO!.length - 13);
    const engine = new StochasticK(14);
    const s = streamed(
      t.SO!.length,
      (i) => engine.peek(t.High![i]!, t.Low![i]!, t.Close![i]!),
      (i) => engine.update(t.High![i]!, t.Low![i]!, t.Close![i]!),
    );
    expectMatches(s, t.SO!, '%K streamed');
  });

  it('ROC(12) on every defined row', () => {
    const t = readTable('cs-roc.csv')!;
    expect(expectMatches(roc(t.Close!, 12), t.ROC!, 'ROC')).toBe(t.Close!.length - 12);
    const engine = new Roc(12);
    const s = streamed(
      t.Close!.length,
      (i) => engine.peek(t.Close![i]!),
      (i) => engine.update(t.Close![i]!),
    );
    expectMatches(s, t.ROC!, 'ROC streamed');
  });
});

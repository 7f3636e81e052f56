import { type Candle, INTERVAL_MS, type Interval } from '@regime/candles';
import { FeatureError, MAX_LISTED_MISSING } from './errors.ts';
import { Adx } from './indicators/adx.ts';
import { Atr } from './indicators/atr.ts';
import { BollingerWidth } from './indicators/bollinger.ts';
import { logReturn, wickRatio } from './indicators/candle-shape.ts';
import { Ema } from './indicators/ema.ts';
import { Macd } from './indicators/macd.ts';
import { RealizedVolatility } from './indicators/realized-vol.ts';
import { Roc } from './indicators/roc.ts';
import { Rsi } from './indicators/rsi.ts';
import { StochasticK } from './indicators/stochastic.ts';
import { FEATURE_COUNT } from './names.ts';
import { unsoundCandle } from './sound.ts';

/** The indicator state behind the 12 features, fresh (nothing committed). */
function freshIndicators() {
  return {
    ema21: new Ema(21),
    ema55: new Ema(55),
    macd: new Macd(12, 26, 9),
    adx: new Adx(14),
    atr: new Atr(14),
    bollinger: new BollingerWidth(20, 2),
    realizedVol: new RealizedVolatility(20),
    rsi: new Rsi(14),
    roc: new Roc(12),
    stoch: new StochasticK(14),
  };
}

/**
 * The 12 features of one candle series, updated one candle at a time in O(1) per indicator
 * (windowed statistics rescan their fixed window of ≤ 20 values).
 *
 * `update` commits a closed candle; `peek` returns the features the series would have if the given
 * in-progress candle were its next candle, without changing any state. Candles must follow each other
 * without a gap: the engine refuses to bridge one (call `reset` and start a new run instead).
 */
export class IncrementalFeatures {
  private readonly step: number;
  private count = 0;
  private lastOpenTime = Number.NaN;
  private prevClose = Number.NaN;
  private ind = freshIndicators();

  constructor(readonly interval: Interval) {
    this.step = INTERVAL_MS[interval];
  }

  /** Candles committed since construction or the last reset. */
  get committed(): number {
    return this.count;
  }

  /** Open time of the last committed candle (NaN when none). */
  get lastOpen(): number {
    return this.lastOpenTime;
  }

  reset(): void {
    this.count = 0;
    this.lastOpenTime = Number.NaN;
    this.prevClose = Number.NaN;
    this.ind = freshIndicators();
  }

  /** Commits a closed candle and returns (or writes at `offset` of `out`) its 12 features. */
  update(candle: Candle, out: Float64Array = new Float64Array(FEATURE_COUNT), offset = 0): Float64Array {
    this.check(candle);
    this.compute(candle, out, offset, true);
    this.count++;
    this.lastOpenTime = candle.openTime;
    this.prevClose = candle.close;
    return out;
  }

  /**
   * `update` without the candle checks, for candles already validated and known to be consecutive
   * (prepared series). Internal to the package.
   */
  updateTrusted(candle: Candle, out: Float64Array, offset: number): void {
    this.compute(candle, out, offset, true);
    this.count++;
    this.lastOpenTime = candle.openTime;
    this.prevClose = candle.close;
  }

  /** Features of an in-progress (or hypothetical) next candle; no state changes. */
  peek(candle: Candle, out: Float64Array = new Float64Array(FEATURE_COUNT), offset = 0): Float64Array {
    this.check(candle);
    this.compute(candle, out, offset, false);
    return out;
  }

  private check(candle: Candle): void {
    const problem = unsoundCandle(candle, this.interval, this.step);
    if (problem) {
      throw new FeatureError(
        'invalid_candle',
        `invalid ${this.interval} candle at ${new Date(candle.openTime).toISOString()}: ${problem}`,
        { interval: this.interval },
      );
    }
    if (this.count > 0 && candle.openTime !== this.lastOpenTime + this.step) {
      if (candle.openTime <= this.lastOpenTime) {
        throw new FeatureError(
          'unsorted',
          `${this.interval} candle at ${new Date(candle.openTime).toISOString()} does not follow ${new Date(this.lastOpenTime).toISOString()}`,
          { interval: this.interval },
        );
      }
      const missing: number[] = [];
      for (
        let t = this.lastOpenTime + this.step;
        t < candle.openTime && missing.length < MAX_LISTED_MISSING;
        t += this.step
      ) {
        missing.push(t);
      }
      throw new FeatureError(
        'gap',
        `${this.interval} candles missing between ${new Date(this.lastOpenTime).toISOString()} and ${new Date(candle.openTime).toISOString()}`,
        {
          interval: this.interval,
          missing,
          missingCount: (candle.openTime - this.lastOpenTime) / this.step - 1,
        },
      );
    }
  }

  private compute(candle: Candle, out: Float64Array, o: number, commit: boolean): void {
    const { open, high, low, close } = candle;
    const first = this.count === 0;
    const ind = this.ind;
    const ema21Before = ind.ema21.value;
    const ema21 = commit ? ind.ema21.update(close) : ind.ema21.peek(close);
    const ema55 = commit ? ind.ema55.update(close) : ind.ema55.peek(close);
    out[o] = first ? Number.NaN : logReturn(close, this.prevClose);
    out[o + 1] = first ? Number.NaN : (ema21 - ema21Before) / ema21Before;
    out[o + 2] = (close - ema55) / ema55;
    if (commit) {
      out[o + 3] = ind.macd.update(close) / close;
      out[o + 4] = ind.adx.update(high, low, close);
      out[o + 5] = ind.atr.update(high, low, close) / close;
      out[o + 6] = ind.bollinger.update(close);
      out[o + 7] = ind.realizedVol.update(close);
      out[o + 8] = ind.rsi.update(close);
      out[o + 9] = ind.roc.update(close);
      out[o + 10] = ind.stoch.update(high, low, close);
    } else {
      out[o + 3] = ind.macd.peek(close) / close;
      out[o + 4] = ind.adx.peek(high, low, close);
      out[o + 5] = ind.atr.peek(high, low, close) / close;
      out[o + 6] = ind.bollinger.peek(close);
      out[o + 7] = ind.realizedVol.peek(close);
      out[o + 8] = ind.rsi.peek(close);
      out[o + 9] = ind.roc.peek(close);
      out[o + 10] = ind.stoch.peek(high, low, close);
    }
    out[o + 11] = wickRatio(open, high, low, close);
  }
}

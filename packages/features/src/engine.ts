import { type Candle, INTERVAL_MS, type Interval } from '@regime/candles';
import { FeatureError } from './errors.ts';
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
  private ema21 = new Ema(21);
  private ema55 = new Ema(55);
  private macd = new Macd(12, 26, 9);
  private adx = new Adx(14);
  private atr = new Atr(14);
  private bollinger = new BollingerWidth(20, 2);
  private realizedVol = new RealizedVolatility(20);
  private rsi = new Rsi(14);
  private roc = new Roc(12);
  private stoch = new StochasticK(14);

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
    this.ema21 = new Ema(21);
    this.ema55 = new Ema(55);
    this.macd = new Macd(12, 26, 9);
    this.adx = new Adx(14);
    this.atr = new Atr(14);
    this.bollinger = new BollingerWidth(20, 2);
    this.realizedVol = new RealizedVolatility(20);
    this.rsi = new Rsi(14);
    this.roc = new Roc(12);
    this.stoch = new StochasticK(14);
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
        t < candle.openTime && missing.length < 20;
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
    const ema21Before = this.ema21.value;
    const ema21 = commit ? this.ema21.update(close) : this.ema21.peek(close);
    const ema55 = commit ? this.ema55.update(close) : this.ema55.peek(close);
    out[o] = first ? Number.NaN : logReturn(close, this.prevClose);
    out[o + 1] = first ? Number.NaN : (ema21 - ema21Before) / ema21Before;
    out[o + 2] = (close - ema55) / ema55;
    if (commit) {
      out[o + 3] = this.macd.update(close);
      out[o + 4] = this.adx.update(high, low, close);
      out[o + 5] = this.atr.update(high, low, close) / close;
      out[o + 6] = this.bollinger.update(close);
      out[o + 7] = this.realizedVol.update(close);
      out[o + 8] = this.rsi.update(close);
      out[o + 9] = this.roc.update(close);
      out[o + 10] = this.stoch.update(high, low, close);
    } else {
      out[o + 3] = this.macd.peek(close);
      out[o + 4] = this.adx.peek(high, low, close);
      out[o + 5] = this.atr.peek(high, low, close) / close;
      out[o + 6] = this.bollinger.peek(close);
      out[o + 7] = this.realizedVol.peek(close);
      out[o + 8] = this.rsi.peek(close);
      out[o + 9] = this.roc.peek(close);
      out[o + 10] = this.stoch.peek(high, low, close);
    }
    out[o + 11] = wickRatio(open, high, low, close);
  }
}

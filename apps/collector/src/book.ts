import type { Interval, Kline } from '@regime/candles';

export type StreamKey = `${string}@${Interval}`;

export function streamKey(k: { symbol: string; interval: Interval }): StreamKey {
  return `${k.symbol}@${k.interval}`;
}

interface StreamState {
  symbol: string;
  interval: Interval;
  /** Open time of the newest closed candle accepted for writing. */
  lastClosed?: number;
  /** Newest in-progress state not yet handed to the writer. */
  live?: Kline;
}

/**
 * Decides what of the stream traffic reaches QuestDB. klines has DEDUP UPSERT KEYS(ts, symbol, interval),
 * so the last write of a key wins: an in-progress state must never be written after its closed version,
 * and only the newest in-progress state per stream is worth writing. Pure; the writer serialises writes
 * in the order this book hands them out.
 */
export class CandleBook {
  private readonly streams = new Map<StreamKey, StreamState>();

  /** A closed candle: 'write' unless it repeats the newest closed one already accepted. */
  closed(k: Kline): 'write' | 'duplicate' {
    const s = this.state(k);
    if (s.live && s.live.openTime <= k.openTime) s.live = undefined;
    if (s.lastClosed === k.openTime) return 'duplicate';
    // An older closed candle (late or replayed) is still written: the upsert makes it harmless.
    if (s.lastClosed === undefined || k.openTime > s.lastClosed) s.lastClosed = k.openTime;
    return 'write';
  }

  /** A closed candle already in QuestDB (read at start-up): later in-progress states of it are stale. */
  stored(stream: { symbol: string; interval: Interval }, openTime: number): void {
    const s = this.state(stream);
    if (s.lastClosed === undefined || openTime > s.lastClosed) s.lastClosed = openTime;
  }

  /** An in-progress state: kept (replacing an older one) unless its candle has already closed. */
  live(k: Kline): 'kept' | 'stale' {
    const s = this.state(k);
    if (s.lastClosed !== undefined && k.openTime <= s.lastClosed) return 'stale';
    if (s.live && k.openTime < s.live.openTime) return 'stale';
    s.live = k;
    return 'kept';
  }

  /** Hands over the newest in-progress state of every stream and forgets them. */
  takeLive(): Kline[] {
    const out: Kline[] = [];
    for (const s of this.streams.values()) {
      if (s.live) out.push(s.live);
      s.live = undefined;
    }
    return out;
  }

  /** Puts back in-progress states a failed write could not store, unless something newer arrived since. */
  restoreLive(klines: readonly Kline[]): void {
    for (const k of klines) {
      const s = this.state(k);
      if (s.lastClosed !== undefined && k.openTime <= s.lastClosed) continue;
      if (s.live === undefined) s.live = k;
    }
  }

  lastClosed(stream: { symbol: string; interval: Interval }): number | undefined {
    return this.streams.get(streamKey(stream))?.lastClosed;
  }

  /** Open time of the newest closed candle per stream that has one. */
  closedHeads(): { symbol: string; interval: Interval; openTime: number }[] {
    return [...this.streams.values()].flatMap((s) =>
      s.lastClosed === undefined ? [] : [{ symbol: s.symbol, interval: s.interval, openTime: s.lastClosed }],
    );
  }

  private state(k: { symbol: string; interval: Interval }): StreamState {
    const key = streamKey(k);
    let s = this.streams.get(key);
    if (!s) {
      s = { symbol: k.symbol, interval: k.interval };
      this.streams.set(key, s);
    }
    return s;
  }
}

import type { Kline } from '@regime/candles';
import type { PipelineEvent } from '@regime/questdb';
import type { Logger } from '@regime/service';
import type { CandleBook } from './book.ts';
import type { CollectorMetrics } from './metrics.ts';

export interface WriterTarget {
  writeKlines(klines: Kline[]): Promise<void>;
  writeEvents(events: PipelineEvent[]): Promise<void>;
}

export interface WriterOptions {
  /** Backoff after a failed write: doubles from min to max. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Events held while QuestDB is unreachable; the oldest are dropped beyond this. */
  maxHeldEvents?: number;
}

/**
 * The collector's only path to QuestDB. One write is in flight at a time, so writes commit in the order
 * the CandleBook decided them (the last write of a key wins under DEDUP UPSERT). Closed candles go out
 * at once (grouped with whatever else arrived in the same event-loop turn); in-progress states only when
 * flushLive() is called. A failed write is retried with backoff and nothing closed is dropped.
 */
export class KlineWriter {
  private closedQueue: Kline[] = [];
  private events: PipelineEvent[] = [];
  private liveDue = false;
  private pumping: Promise<void> | undefined;
  private kickScheduled = false;
  /** Sequence numbers of closed() calls: queued so far, and acknowledged by QuestDB so far. */
  private queuedSeq = 0;
  private writtenSeq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private failures = 0;
  private retryTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private droppedEvents = 0;
  private droppedLoggedAt = Number.NEGATIVE_INFINITY;
  /** Wall time of the first failure of the current run of failures (for /healthz). */
  failingSince: number | undefined;
  lastError: string | undefined;

  constructor(
    private readonly book: CandleBook,
    private readonly target: WriterTarget,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
    private readonly opts: WriterOptions = {},
  ) {}

  /** Queues closed candles (repeats of the newest closed one are dropped); resolves once they are stored. */
  closed(klines: readonly Kline[]): Promise<void> {
    for (const k of klines) {
      if (this.book.closed(k) === 'write') this.closedQueue.push(k);
      else this.metrics.duplicates.inc({ interval: k.interval });
    }
    const seq = ++this.queuedSeq;
    this.kick();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Keeps the newest in-progress state per stream until the next flushLive(). */
  live(k: Kline): void {
    this.book.live(k);
  }

  flushLive(): void {
    this.liveDue = true;
    this.kick();
  }

  event(e: PipelineEvent): void {
    this.events.push(e);
    const excess = this.events.length - (this.opts.maxHeldEvents ?? 10_000);
    if (excess > 0) {
      this.events.splice(0, excess);
      this.noteDroppedEvents(excess);
    }
    this.kick();
  }

  /** Dropped events are logged at most once per 10 s, with the true cause and the total since the last line. */
  private noteDroppedEvents(count: number): void {
    this.droppedEvents += count;
    const now = Date.now();
    if (now - this.droppedLoggedAt < 10_000) return;
    this.droppedLoggedAt = now;
    const cause =
      this.failingSince === undefined
        ? 'pipeline events arrive faster than QuestDB takes them'
        : `QuestDB writes have been failing since ${new Date(this.failingSince).toISOString()}`;
    this.logger.error(
      { dropped: this.droppedEvents, held: this.events.length },
      `${cause}: ${this.droppedEvents} oldest pipeline event(s) dropped (candles are not affected)`,
    );
    this.droppedEvents = 0;
  }

  /** Closed candles not yet acknowledged. */
  get pendingClosed(): number {
    return this.closedQueue.length;
  }

  /** Writes everything held, in-progress states included; resolves when the writer is idle. */
  async flush(): Promise<void> {
    this.liveDue = true;
    this.kick(true);
    this.retryTimer?.wake();
    while (this.pumping) await this.pumping;
  }

  private kick(now = false): void {
    if (this.pumping) return;
    if (now) {
      this.pumping = this.pump().finally(() => {
        this.pumping = undefined;
      });
      return;
    }
    // Wait one turn so that messages received together (e.g. 5m, 15m and 1h closing at the same
    // instant) share one ILP request.
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.kick(true);
    });
  }

  private idle(): boolean {
    return this.closedQueue.length === 0 && !this.liveDue && this.events.length === 0;
  }

  private async pump(): Promise<void> {
    while (!this.idle()) {
      const closed = this.closedQueue;
      this.closedQueue = [];
      const seq = this.queuedSeq;
      const live = this.liveDue ? this.book.takeLive() : [];
      this.liveDue = false;
      const batch = closed.concat(live);
      try {
        if (batch.length > 0) {
          const stop = this.metrics.writeSeconds.startTimer();
          await this.target.writeKlines(batch);
          stop();
          this.countWritten(batch);
        }
      } catch (error) {
        this.closedQueue = closed.concat(this.closedQueue);
        this.book.restoreLive(live);
        await this.failed(error, `${closed.length} closed and ${live.length} in-progress candles held`);
        continue;
      }
      this.writtenSeq = seq;
      this.resolveWaiters();
      const events = this.events;
      this.events = [];
      try {
        if (events.length > 0) await this.target.writeEvents(events);
      } catch (error) {
        this.events = events.concat(this.events);
        await this.failed(error, `${this.events.length} pipeline events held`);
        continue;
      }
      this.failures = 0;
      this.failingSince = undefined;
    }
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    // closed() calls whose candles were all duplicates still wait for the writes queued before them.
    const done = this.waiters.filter((w) => w.seq <= this.writtenSeq || this.idle());
    this.waiters = this.waiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
  }

  private countWritten(batch: readonly Kline[]): void {
    const counts = new Map<string, number>();
    for (const k of batch) {
      const key = `${k.interval} ${k.closed ? 'closed' : 'live'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [interval, state] = key.split(' ') as [string, string];
      this.metrics.candlesWritten.inc({ interval, state }, n);
    }
  }

  private async failed(error: unknown, held: string): Promise<void> {
    this.failures++;
    this.failingSince ??= Date.now();
    this.lastError = error instanceof Error ? error.message : String(error);
    this.metrics.writeFailures.inc();
    const delay = Math.min(
      (this.opts.retryMinMs ?? 250) * 2 ** (this.failures - 1),
      this.opts.retryMaxMs ?? 10_000,
    );
    this.logger.error({ err: this.lastError, retryInMs: delay }, `QuestDB write failed: ${held}, retrying`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.retryTimer = {
        timer,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    this.retryTimer = undefined;
  }
}

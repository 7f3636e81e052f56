import type { Clock, Logger } from '@regime/service';

export interface ClockSkew {
  /** The predictor's clock minus the exchange's (ms); undefined until the exchange answered. */
  skewMs: number | undefined;
  /** Why not ok; absent while the clocks agree within the tolerance. */
  problem(): string | undefined;
  close(): void;
}

const minutes = (ms: number) => `${(Math.abs(ms) / 60_000).toFixed(1)} min`;

/**
 * Compares the predictor's clock with the exchange's server time at start-up and every `everyMs`.
 * A predictor on the wall clock against the replay exchange (running in the past) finds no candles
 * for any instant and writes nothing: say so loudly (an error line naming both times and the fix)
 * and report it on /healthz. An exchange that does not answer is only a warning: the clock may
 * still be right.
 */
export function watchClockSkew(options: {
  clock: Clock;
  serverTime: () => Promise<number>;
  toleranceMs: number;
  everyMs: number;
  log: Logger;
}): ClockSkew {
  const { clock, serverTime, toleranceMs, log } = options;
  let skewMs: number | undefined;
  let warnedUnreachable = false;
  const check = async () => {
    let exchange: number;
    try {
      exchange = await serverTime();
    } catch (error) {
      if (!warnedUnreachable) log.warn({ err: error }, 'cannot read the exchange clock to compare with ours');
      warnedUnreachable = true;
      return;
    }
    const ours = clock.now();
    const before = skewMs;
    skewMs = ours - exchange;
    const off = Math.abs(skewMs) > toleranceMs;
    if (off && (before === undefined || Math.abs(before) <= toleranceMs)) {
      log.error(
        { ours: new Date(ours).toISOString(), exchange: new Date(exchange).toISOString() },
        `CLOCK MISMATCH: the predictor's clock is ${minutes(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} the ` +
          "exchange's: no candles exist for the instants it predicts, so nothing will be written. Against the " +
          'replay exchange set CLOCK=exchange (and TIME_SCALE to its --speed).',
      );
    } else if (!off && before !== undefined && Math.abs(before) > toleranceMs) {
      log.info('the predictor clock agrees with the exchange again');
    }
  };
  void check();
  const timer = setInterval(() => void check(), options.everyMs);
  timer.unref();
  return {
    get skewMs() {
      return skewMs;
    },
    problem() {
      if (skewMs === undefined || Math.abs(skewMs) <= toleranceMs) return undefined;
      return `clock ${minutes(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} the exchange's (set CLOCK=exchange against the replay exchange)`;
    },
    close() {
      clearInterval(timer);
    },
  };
}

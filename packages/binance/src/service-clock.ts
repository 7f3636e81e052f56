import { type Clock, exchangeClock, type Logger, wallClock } from '@regime/service';
import { BinanceRest } from './rest.ts';

export interface ServiceClockConfig {
  /** wall: the machine's clock. exchange: the exchange's, from GET {restUrl}/api/v3/time. */
  kind: 'wall' | 'exchange';
  restUrl: string;
  /** Virtual ms per wall ms between polls: the replay exchange's speed (1 against Binance). */
  timeScale: number;
  /** Wall ms between polls of the exchange's time. */
  pollMs: number;
}

/**
 * "Now" for a service (the predictor, the scorer): the wall clock in production; against the replay
 * exchange the exchange's clock, polled and extrapolated at its speed, so that a service beside a
 * replay in 2025 works on 2025's instants.
 */
export async function serviceClock(config: ServiceClockConfig, log: Logger): Promise<Clock> {
  if (config.kind === 'wall') return wallClock;
  const rest = new BinanceRest({ baseUrl: config.restUrl });
  const clock = await exchangeClock({
    serverTime: () => rest.serverTime(),
    timeScale: config.timeScale,
    pollMs: config.pollMs,
    onError: (error) => log.warn({ err: error }, 'exchange clock poll failed; extrapolating'),
  });
  log.info(
    { now: new Date(clock.now()).toISOString(), timeScale: config.timeScale },
    'following the exchange clock',
  );
  return clock;
}

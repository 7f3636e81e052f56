import type { Queue } from 'bullmq';
import type { PredictorConfig } from './config.ts';
import { MODE_STEP_MS, type PredictionMode } from './schedule.ts';
import type { TickJobData } from './ticks.ts';

export const SCHEDULER_IDS: Readonly<Record<PredictionMode, string>> = {
  official: 'official-tick',
  live: 'live-tick',
};

/**
 * BullMQ job schedulers that emit "tick" jobs. Upserting is idempotent: every predictor process does
 * it at start-up (and again when Redis comes back empty), and there is still one scheduler per mode.
 *
 * CLOCK=wall: ticks aligned to the wall clock, the official one OFFICIAL_OFFSET_MS after each 5-minute
 * boundary, the live one LIVE_OFFSET_MS after each minute.
 * CLOCK=exchange: BullMQ's timers run on wall time and cannot follow a virtual clock, so both ticks run
 * every TICK_MS wall ms; each tick reads the virtual clock and works out which instants are due.
 */
export async function upsertSchedulers(queue: Queue, config: PredictorConfig): Promise<void> {
  for (const mode of ['official', 'live'] as const) {
    if (!config.modes.includes(mode)) {
      // A mode switched off in this deployment must stop ticking, also when an older config upserted it.
      await queue.removeJobScheduler(SCHEDULER_IDS[mode]);
      continue;
    }
    const step = MODE_STEP_MS[mode];
    const offset = (mode === 'official' ? config.officialOffsetMs : config.liveOffsetMs) % step;
    const repeat =
      config.clock.kind === 'wall'
        ? { every: step, ...(offset > 0 ? { offset } : {}) }
        : { every: config.tickMs };
    const data: TickJobData = { mode };
    await queue.upsertJobScheduler(SCHEDULER_IDS[mode], repeat, {
      name: 'tick',
      data,
      opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 },
    });
  }
}

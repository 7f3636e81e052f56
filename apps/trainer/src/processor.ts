import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { RetrainTrigger } from '@regime/questdb';
import { createLogger } from '@regime/service';
import type { SandboxedJob } from 'bullmq';
import { loadTrainerConfig } from './config.ts';
import { runRetrainCycle } from './cycle.ts';

// A child whose trainer died (killed mid-job) stops too, instead of training for nobody.
process.on('disconnect', () => process.exit(1));

export interface RetrainJobData {
  trigger: RetrainTrigger;
}

/**
 * Lowers the CPU priority of this process. On Linux a nice value belongs to a thread, so every
 * thread that exists now is reniced (threads started later inherit from their creator).
 */
export function renice(nice: number): void {
  let tasks: string[] = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    // Not Linux: the process-wide call below is all there is.
  }
  setPriority(0, nice);
  for (const tid of tasks) {
    try {
      setPriority(Number(tid), nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}

/**
 * The BullMQ sandboxed processor: runs in a forked child (tfjs is not safe in worker threads), reads
 * the trainer's environment again (handed over by the parent), trains at a lower CPU priority than
 * the predictor, and reports progress through the job.
 */
export default async function retrainProcessor(job: SandboxedJob<RetrainJobData>) {
  const config = loadTrainerConfig(process.env);
  renice(config.trainNice);
  const log = createLogger('trainer');
  return runRetrainCycle(config, job.data.trigger ?? 'schedule', log, (p) => {
    job.updateProgress(p).catch(() => {});
  });
}

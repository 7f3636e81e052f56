import { availableParallelism, loadavg } from 'node:os';

/**
 * "load average 3.2 on 2 cores": benchmarks print it beside their numbers, because on a shared
 * machine a slow run often means a busy machine rather than slow code.
 */
export function machineLoad(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`;
}

import { Gauge, type Registry } from 'prom-client';

/**
 * `<service>_queue_depth{state}`: the service's BullMQ jobs by state, read at scrape time. A scrape
 * while Redis is down must still answer, so a failed read leaves the last values.
 */
export function queueDepthGauge(
  service: string,
  registry: Registry,
  queueCounts?: () => Promise<Record<string, number>>,
): Gauge<'state'> {
  return new Gauge({
    name: `${service}_queue_depth`,
    help: `Jobs in the ${service}'s BullMQ queue by state`,
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (!queueCounts) return;
      const counts = await queueCounts().catch(() => undefined);
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
    },
  });
}

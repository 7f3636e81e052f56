import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The strategies' free parameters (the volatility target, the dwell k, the stop multiples), chosen
 * on the validation period only by `npm run backtest:choose` and written to apps/backtest/parameters.json
 * with the grid each was chosen from; the test period is then run once with them. The report repeats
 * them and says whether its own period overlaps the one they were chosen on.
 */
export const VALIDATION_PERIOD = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 4, 1) } as const;
/** Never tuned on: the chooser refuses any period that overlaps it. */
export const TEST_PERIOD = { from: Date.UTC(2025, 4, 1), to: Date.UTC(2025, 10, 1) } as const;

export const PARAMETERS_FILE = new URL('../parameters.json', import.meta.url);

const gridRow = z.object({
  value: z.number(),
  sharpe: z.number(),
  totalReturn: z.number(),
  exposure: z.number(),
});
export type GridRow = z.infer<typeof gridRow>;

const choice = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ...shape, rule: z.string(), grid: z.array(gridRow) });

export const parametersSchema = z.object({
  /** Where the values come from; null only in a file not written by the chooser. */
  chosenOn: z
    .object({
      from: z.iso.datetime(),
      to: z.iso.datetime(),
      symbols: z.array(z.string()).min(1),
      model: z.string(),
      feeBps: z.number(),
      slippageBps: z.number(),
      command: z.string(),
      at: z.iso.datetime(),
    })
    .nullable(),
  volTarget: choice({ annualisedVolatility: z.number().positive() }),
  trendGatedDwell: choice({ k: z.number().int().min(1) }),
  volScaledDwell: choice({ k: z.number().int().min(1) }),
  trendStopsFixed: choice({ multiple: z.number().positive() }),
  trendStops: choice({ tightMultiple: z.number().positive() }),
});
export type StrategyParameters = z.infer<typeof parametersSchema>;

function load(): StrategyParameters {
  const file = PARAMETERS_FILE.pathname;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(PARAMETERS_FILE, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the strategy parameters ${file}: ${(error as Error).message}`);
  }
  const parsed = parametersSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  if (parsed.data.trendStops.tightMultiple >= parsed.data.trendStopsFixed.multiple) {
    throw new Error(`${file}: trendStops.tightMultiple must be below trendStopsFixed.multiple`);
  }
  return parsed.data;
}

export const PARAMETERS: StrategyParameters = load();

/** True when [from, to) shares an instant with the period the parameters were chosen on. */
export function overlapsChoice(parameters: StrategyParameters, from: number, to: number): boolean {
  const chosen = parameters.chosenOn;
  if (!chosen) return false;
  return from < Date.parse(chosen.to) && Date.parse(chosen.from) < to;
}

import type { RegistryMetrics } from '@regime/questdb';

export interface PromotionLimits {
  /** The challenger may be this much below the champion's macro-F1 and still be promoted. */
  f1Tolerance: number;
  /** Switches/day limit as a multiple of the labels' own switches/day on the evaluation window. */
  maxSwitchRatio: number;
  maxEce: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** Every rule, met or not, so the registry row says why. */
  reason: string;
}

/**
 * Champion and challenger scored by the same `evaluate` on the same window: the challenger is promoted
 * only when it is not worse than the champion by more than the tolerance, and its written regime is
 * not jumpier or worse calibrated than the limits. No champion (the first cycle): the limits alone.
 */
export function decidePromotion(
  challenger: RegistryMetrics,
  champion: RegistryMetrics | undefined,
  labelSwitchesPerDay: number,
  limits: PromotionLimits,
): PromotionDecision {
  const failed: string[] = [];
  const met: string[] = [];
  const rule = (ok: boolean, text: string) => (ok ? met : failed).push(text);
  if (champion) {
    const floor = champion.macroF1 - limits.f1Tolerance;
    rule(
      challenger.macroF1 >= floor,
      `macro-F1 ${challenger.macroF1.toFixed(4)} ${challenger.macroF1 >= floor ? '≥' : '<'} champion ${champion.macroF1.toFixed(4)} − ${limits.f1Tolerance}`,
    );
  }
  const switchLimit = limits.maxSwitchRatio * labelSwitchesPerDay;
  rule(
    challenger.switchesPerDay <= switchLimit,
    `switches/day ${challenger.switchesPerDay.toFixed(2)} ${challenger.switchesPerDay <= switchLimit ? '≤' : '>'} ${switchLimit.toFixed(2)} (${limits.maxSwitchRatio} × the labels' ${labelSwitchesPerDay.toFixed(2)})`,
  );
  rule(
    challenger.ece <= limits.maxEce,
    `ECE ${challenger.ece.toFixed(4)} ${challenger.ece <= limits.maxEce ? '≤' : '>'} ${limits.maxEce}`,
  );
  if (failed.length > 0) return { promote: false, reason: `rejected: ${failed.join('; ')}` };
  return {
    promote: true,
    reason: `promoted: ${met.join('; ')}${champion ? '' : ' (no champion to compare)'}`,
  };
}

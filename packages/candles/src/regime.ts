/**
 * Regime ids, in model output order (the softmax index is the position here). Shared by the model
 * (its output) and the QuestDB layer (the p_<id> columns of regime_predictions): one list, so the
 * columns can never drift from the model's order.
 */
export const REGIME_IDS = [
  'strong_trend',
  'weak_trend',
  'range',
  'squeeze',
  'volatility_spike',
  'choppy_high_vol',
] as const;
export type RegimeId = (typeof REGIME_IDS)[number];

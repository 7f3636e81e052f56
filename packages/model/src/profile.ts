import { REGIMES, type Regime } from '@regime/labeler';
import type { Dataset } from './dataset.ts';

/**
 * What each regime meant for the 4 hours after it: the means, over the instants a classifier wrote
 * that regime, of the dataset's forward outcomes (@regime/labeler forwardOutcome). The all-instants
 * row is the reference: a regime implies something only where its row differs from it.
 */
export interface ProfileRow {
  /** Instants with a complete outcome. */
  samples: number;
  /** Realised volatility of the next 4 h ÷ that of the trailing 15 days. */
  volRatio: number;
  /** |net move of the next 4 h| in trailing sigmas. */
  netSigma: number;
  /** |net| ÷ Σ|15-minute moves| over the next 4 h. */
  efficiency: number;
  /** Share of instants whose next 4 h move has the sign of the last 4 h's (instants with no sign left out). */
  continues: number;
}

export type RegimeProfile = Record<Regime | 'all', ProfileRow>;

export function regimeProfile(dataset: Dataset, regimes: ArrayLike<number>): RegimeProfile {
  const sums = [...REGIMES, 'all'].map(() => ({ n: 0, vol: 0, net: 0, eff: 0, signed: 0, cont: 0 }));
  const { volRatio, netSigma, efficiency, continues } = dataset.outcome;
  for (let i = 0; i < dataset.size; i++) {
    if (!Number.isFinite(volRatio[i]!) || !Number.isFinite(netSigma[i]!)) continue;
    for (const s of [sums[regimes[i]!]!, sums[REGIMES.length]!]) {
      s.n++;
      s.vol += volRatio[i]!;
      s.net += netSigma[i]!;
      s.eff += efficiency[i]!;
      if (continues[i]! >= 0) {
        s.signed++;
        s.cont += continues[i]!;
      }
    }
  }
  const row = (s: (typeof sums)[number]): ProfileRow => ({
    samples: s.n,
    volRatio: s.n > 0 ? s.vol / s.n : Number.NaN,
    netSigma: s.n > 0 ? s.net / s.n : Number.NaN,
    efficiency: s.n > 0 ? s.eff / s.n : Number.NaN,
    continues: s.signed > 0 ? s.cont / s.signed : Number.NaN,
  });
  return Object.fromEntries([...REGIMES, 'all'].map((r, k) => [r, row(sums[k]!)])) as RegimeProfile;
}

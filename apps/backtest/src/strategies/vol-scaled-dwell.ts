import { Dwell } from '../dwell.ts';
import { PARAMETERS } from '../parameters.ts';
import type { Strategy } from '../strategy.ts';
import { EXPOSURE_WITHOUT_PREDICTION, exposureFor } from './vol-scaled.ts';

/**
 * vol_scaled with a dwell rule on its exposure level: a new level (1, 0.5 or 0.25, from the written
 * regime) is taken only once the written regime has asked for another level than the one held at k
 * consecutive instants. k is chosen on validation.
 */
export function volScaledDwell(k: number, name = 'vol_scaled_dwell'): Strategy {
  return {
    name,
    description:
      `vol_scaled, but its exposure level changes only after the written regime has asked for another ` +
      `level at ${k} consecutive instants (${k * 5} minutes)`,
    twin: 'vol_target',
    create() {
      const dwell = new Dwell(k, EXPOSURE_WITHOUT_PREDICTION);
      return (view) => dwell.update(exposureFor(view.prediction?.regime));
    },
  };
}

export const strategy = volScaledDwell(PARAMETERS.volScaledDwell.k);

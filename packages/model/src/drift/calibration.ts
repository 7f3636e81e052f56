import type { LabelerParams } from '@regime/labeler';
import type { Period } from '../config.ts';
import type { DatasetProgress, SymbolHistory } from '../dataset.ts';
import { splitDataset } from '../period-data.ts';
import { calibrationDays, type InputDistribution, inputPsi, withCalibration } from './distribution.ts';
import { InputColumns } from './input-names.ts';

/** Training days per symbol the drift thresholds are calibrated on. */
export const CALIBRATION_DAYS_PER_SYMBOL = 20;

/** A day is used when at least this share of its 288 official instants could be built (no gap). */
const MIN_DAY_SHARE = 0.9;

/**
 * The model inputs of `perSymbol` whole days of each symbol, evenly spread over `period` (the
 * training split): every 5-minute instant of each day, as driftAsOf reads them live. Pure: candles in.
 */
export async function trainingDayColumns(
  inputs: readonly SymbolHistory[],
  period: Period,
  params: LabelerParams,
  perSymbol = CALIBRATION_DAYS_PER_SYMBOL,
  onProgress?: (p: DatasetProgress) => void,
): Promise<InputColumns[]> {
  const out: InputColumns[] = [];
  for (const input of inputs) {
    const days = calibrationDays(period.from, period.to, perSymbol);
    for (const [k, from] of days.entries()) {
      onProgress?.({ symbol: `${input.symbol} calibration days`, done: k, total: days.length });
      const { dataset } = await splitDataset([input], { from, to: from + 86_400_000 }, 5, params);
      if (dataset.size < MIN_DAY_SHARE * 288) continue;
      const columns = new InputColumns(dataset.size);
      columns.addDatasetSamples(
        dataset,
        Uint32Array.from({ length: dataset.size }, (_, i) => i),
      );
      out.push(columns);
    }
  }
  return out;
}

/** The distribution with its drift thresholds calibrated on those training days. */
export function calibrateDistribution(
  distribution: InputDistribution,
  days: readonly InputColumns[],
): InputDistribution {
  return withCalibration(
    distribution,
    days.map((columns) => inputPsi(distribution, columns)),
  );
}

import type { FeatureDriftRow } from '@regime/questdb';
import { FIXTURE_FROM, FIXTURE_SYMBOLS } from './fixture.ts';

/**
 * Model lifecycle rows for the Grafana tests: a registry history (a first champion, a rejected and a
 * promoted challenger, a failed cycle) and hourly drift rows over the fixture's two days, a few
 * inputs per symbol, one of them drifting past its threshold on BTCUSDT on the second afternoon.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One model_registry row (columns of registrySchema); absent columns are null. */
export interface RegistryFixtureRow {
  ts: number;
  event: string;
  model_version: string;
  role: string;
  trigger?: string;
  champion_version?: string;
  train_from?: number;
  train_to?: number;
  challenger_macro_f1?: number;
  challenger_switches_per_day?: number;
  challenger_ece?: number;
  champion_macro_f1?: number;
  champion_switches_per_day?: number;
  champion_ece?: number;
  decision?: string;
  reason?: string;
  path?: string;
}

export const LIFECYCLE_VERSIONS = {
  first: 'regime-net-v4',
  rejected: 'rm-20250901-0800',
  promoted: 'rm-20250902-0200',
};

export function registryFixture(): RegistryFixtureRow[] {
  const { first, rejected, promoted } = LIFECYCLE_VERSIONS;
  const t = (hours: number) => FIXTURE_FROM + hours * HOUR;
  return [
    {
      ts: t(-30 * 24),
      event: 'trained',
      model_version: first,
      role: 'challenger',
      trigger: 'once',
      train_from: Date.UTC(2022, 0, 20),
      train_to: Date.UTC(2025, 7, 1),
      path: `/models/${first}`,
    },
    {
      ts: t(-30 * 24 + 1),
      event: 'promoted',
      model_version: first,
      role: 'champion',
      trigger: 'once',
      decision: 'promoted',
      reason: 'first model',
      challenger_macro_f1: 0.5,
      challenger_switches_per_day: 4,
      challenger_ece: 0.05,
      path: `/models/${first}`,
    },
    {
      ts: t(8),
      event: 'trained',
      model_version: rejected,
      role: 'challenger',
      trigger: 'schedule',
      train_from: Date.UTC(2022, 0, 20),
      train_to: Date.UTC(2025, 7, 4),
      path: `/models/${rejected}`,
    },
    {
      ts: t(9),
      event: 'evaluated',
      model_version: rejected,
      role: 'challenger',
      trigger: 'schedule',
      champion_version: first,
      challenger_macro_f1: 0.41,
      challenger_switches_per_day: 5.5,
      challenger_ece: 0.06,
      champion_macro_f1: 0.48,
      champion_switches_per_day: 4.1,
      champion_ece: 0.05,
    },
    {
      ts: t(9) + 1,
      event: 'rejected',
      model_version: rejected,
      role: 'challenger',
      trigger: 'schedule',
      champion_version: first,
      challenger_macro_f1: 0.41,
      challenger_switches_per_day: 5.5,
      challenger_ece: 0.06,
      champion_macro_f1: 0.48,
      champion_switches_per_day: 4.1,
      champion_ece: 0.05,
      decision: 'rejected',
      reason: 'macro-F1 0.410 < champion 0.480 − 0.01',
    },
    {
      ts: t(26),
      event: 'trained',
      model_version: promoted,
      role: 'challenger',
      trigger: 'drift',
      train_from: Date.UTC(2022, 0, 20),
      train_to: Date.UTC(2025, 7, 5),
      path: `/models/${promoted}`,
    },
    {
      ts: t(27),
      event: 'evaluated',
      model_version: promoted,
      role: 'challenger',
      trigger: 'drift',
      champion_version: first,
      challenger_macro_f1: 0.52,
      challenger_switches_per_day: 3.9,
      challenger_ece: 0.04,
      champion_macro_f1: 0.48,
      champion_switches_per_day: 4.1,
      champion_ece: 0.05,
    },
    {
      ts: t(27) + 1,
      event: 'promoted',
      model_version: promoted,
      role: 'champion',
      trigger: 'drift',
      champion_version: first,
      challenger_macro_f1: 0.52,
      challenger_switches_per_day: 3.9,
      challenger_ece: 0.04,
      champion_macro_f1: 0.48,
      champion_switches_per_day: 4.1,
      champion_ece: 0.05,
      decision: 'promoted',
      reason: 'every rule holds',
      path: `/models/${promoted}`,
    },
    {
      ts: t(27) + 2,
      event: 'retired',
      model_version: first,
      role: 'champion',
      trigger: 'drift',
      path: `/models/${first}`,
    },
    {
      ts: t(34),
      event: 'failed',
      model_version: 'rm-20250902-1000',
      role: 'challenger',
      trigger: 'schedule',
      reason: 'too little settled data: 3 days, 28 needed',
    },
  ];
}

export const DRIFT_FEATURES = [
  'window.rsi_15m',
  'calendar.day_sin',
  'view_summary.held_bars_l1',
  'view_bars.net_atr',
];
/** Each input's drift threshold: 0.25, or higher where ordinary training days already exceed it. */
export const DRIFT_THRESHOLDS: Record<string, number> = {
  'window.rsi_15m': 0.25,
  'calendar.day_sin': 0.25,
  'view_summary.held_bars_l1': 0.8,
  'view_bars.net_atr': 0.35,
};

/**
 * Hourly drift rows over both fixture days. From hour 40, BTCUSDT's view_bars.net_atr passes its
 * threshold (0.35), and ETHUSDT's view_summary.held_bars_l1 passes 0.25 but stays below its own (0.8).
 */
export function driftFixture(): FeatureDriftRow[] {
  const rows: FeatureDriftRow[] = [];
  for (let h = 0; h < 48; h++) {
    FIXTURE_SYMBOLS.forEach((symbol, s) => {
      DRIFT_FEATURES.forEach((feature, f) => {
        const drifting = symbol === 'BTCUSDT' && feature === 'view_bars.net_atr' && h >= 40;
        const ordinary = symbol === 'ETHUSDT' && feature === 'view_summary.held_bars_l1' && h >= 40;
        rows.push({
          ts: FIXTURE_FROM + h * HOUR,
          symbol,
          feature,
          psi: drifting ? 0.4 + (h - 40) / 100 : ordinary ? 0.5 : ((h * 7 + s * 5 + f * 3) % 20) / 100,
          threshold: DRIFT_THRESHOLDS[feature]!,
          modelVersion: h < 27 ? LIFECYCLE_VERSIONS.first : LIFECYCLE_VERSIONS.promoted,
        });
      });
    });
  }
  return rows;
}

/** INSERT statements of the registry fixture into `table`. */
export function registryInserts(table: string, rows: readonly RegistryFixtureRow[]): string[] {
  const iso = (t: number) => `'${new Date(t).toISOString()}'`;
  const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return rows.map((r) => {
    const columns: string[] = [];
    const values: string[] = [];
    for (const [key, value] of Object.entries(r)) {
      if (value === undefined) continue;
      columns.push(key);
      values.push(
        key === 'ts' || key.endsWith('_from') || key.endsWith('_to')
          ? iso(value as number)
          : typeof value === 'number'
            ? String(value)
            : text(value as string),
      );
    }
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.join(', ')})`;
  });
}

export { DAY as LIFECYCLE_DAY };

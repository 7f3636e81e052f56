import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelArtifactError } from '../src/artifact.ts';
import {
  binFractions,
  binIndex,
  calibrationDays,
  DRIFT_INPUT_NAMES,
  decileEdges,
  distributionProblems,
  INPUT_DISTRIBUTION_FILE,
  type InputDistribution,
  loadInputDistribution,
  majorDriftThreshold,
  PSI_EPSILON,
  PSI_MAJOR,
  PSI_MODERATE,
  psi,
  withCalibration,
  writeInputDistribution,
} from '../src/drift/index.ts';
import { defaultModelDir } from '../src/model.ts';
import { seededRandom } from '../src/rng.ts';

/** Standard normal draws (Box–Muller) from a seeded generator. */
function normals(n: number, seed: number, mean = 0, sd = 1): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    out[i] = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

describe('psi', () => {
  it('equals the hand-computed value', () => {
    // (0.5 − 0.25)·ln(0.5/0.25) + 0 + (0.25 − 0.5)·ln(0.25/0.5) = 0.5·ln 2
    expect(psi([0.25, 0.25, 0.5], [0.5, 0.25, 0.25])).toBeCloseTo(0.5 * Math.log(2), 12);
    // (0.2 − 0.1)·ln 2 + (0.3 − 0.4)·ln(0.75) + (0.5 − 0.5)·0
    expect(psi([0.1, 0.4, 0.5], [0.2, 0.3, 0.5])).toBeCloseTo(0.1 * Math.log(2) - 0.1 * Math.log(0.75), 12);
    expect(psi([0.3, 0.7], [0.3, 0.7])).toBe(0);
  });

  it('takes ε for an empty bin instead of dividing by zero', () => {
    const value = psi([0.5, 0.5, 0], [0.5, 0.4, 0.1]);
    expect(value).toBeCloseTo(
      -0.1 * Math.log(0.4 / 0.5) + (0.1 - PSI_EPSILON) * Math.log(0.1 / PSI_EPSILON),
      12,
    );
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true);
  });

  it('refuses bin lists of different lengths', () => {
    expect(() => psi([0.5, 0.5], [1])).toThrow(/equally long/);
  });
});

describe('decile bins', () => {
  it('cuts at the deciles and assigns values ≤ an edge to the bin below it', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1 … 100
    const edges = decileEdges(values);
    expect(edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(binIndex(edges, 10)).toBe(0);
    expect(binIndex(edges, 10.5)).toBe(1);
    expect(binIndex(edges, 1000)).toBe(9);
    expect(binFractions(edges, values)).toEqual(new Array(10).fill(0.1));
  });

  it('merges tied deciles, and the fractions say how many values each bin really holds', () => {
    const weekend = Array.from({ length: 70 }, () => 0).concat(Array.from({ length: 30 }, () => 1));
    const edges = decileEdges(weekend);
    expect(edges).toEqual([0, 1]);
    expect(binFractions(edges, weekend)).toEqual([0.7, 0.3, 0]);
  });

  it('flags a shifted distribution and not a new sample of the same one', () => {
    const training = normals(20_000, 1);
    const edges = decileEdges(training);
    const expected = binFractions(edges, training);
    const same = psi(expected, binFractions(edges, normals(288, 2)));
    const shifted = psi(expected, binFractions(edges, normals(288, 3, 0.8, 1)));
    const wider = psi(expected, binFractions(edges, normals(288, 4, 0, 2)));
    expect(same).toBeLessThan(PSI_MODERATE);
    expect(shifted).toBeGreaterThan(PSI_MAJOR);
    expect(wider).toBeGreaterThan(PSI_MAJOR);
  });
});

describe('drift thresholds calibrated on training days', () => {
  it('take each input’s PSI quantiles over the days, and 0.25 unless ordinary days exceed it', () => {
    const names = ['a.x', 'b.y'];
    const base = {
      format: 1 as const,
      modelVersion: 'm',
      binning: 'deciles' as const,
      source: { symbols: [], from: '', to: '', strideMinutes: 5, instants: 1, note: '' },
      inputs: names.map((name) => ({ name, edges: [0], fractions: [0.5, 0.5] })),
    };
    // 100 days: input a's PSI is k/100 (0.01 … 1), input b's is 0.001·k.
    const days = Array.from({ length: 100 }, (_, k) => [
      { feature: 'a.x', psi: (k + 1) / 100 },
      { feature: 'b.y', psi: (k + 1) / 1000 },
    ]);
    const [a, b] = withCalibration(base, days).inputs;
    expect(a!.calibration).toEqual({ days: 100, p50: 0.5, p90: 0.9, p99: 0.99 });
    expect(majorDriftThreshold(a!)).toBe(0.99);
    expect(b!.calibration!.p99).toBeCloseTo(0.099, 12);
    expect(majorDriftThreshold(b!)).toBe(PSI_MAJOR);
    expect(majorDriftThreshold(base.inputs[0]!)).toBe(PSI_MAJOR);
  });

  it('spreads whole days evenly over the period, on 5-minute boundaries', () => {
    const day = 86_400_000;
    const from = Date.UTC(2024, 0, 1);
    expect(calibrationDays(from, from + 10 * day, 4)).toEqual([0, 3, 6, 9].map((k) => from + k * day));
    expect(calibrationDays(from, from + 2 * day, 20)).toEqual([from, from + day]);
    expect(calibrationDays(from, from + day / 2, 3)).toEqual([]);
  });
});

describe('input-distribution.json', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regime-drift-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const distribution = (): InputDistribution => ({
    format: 1,
    modelVersion: 'm-1',
    binning: 'deciles',
    source: { symbols: ['BTCUSDT'], from: 'a', to: 'b', strideMinutes: 45, instants: 10, note: 'test' },
    inputs: DRIFT_INPUT_NAMES.map((name) => ({ name, edges: [0, 1], fractions: [0.5, 0.25, 0.25] })),
  });

  it('names the inputs window.*, calendar.*, view_summary.*, view_bars.*', () => {
    expect(DRIFT_INPUT_NAMES).toContain('window.rsi_15m');
    expect(DRIFT_INPUT_NAMES).toContain('calendar.day_sin');
    expect(DRIFT_INPUT_NAMES).toContain('view_bars.net_atr');
    expect(DRIFT_INPUT_NAMES.filter((n) => n.startsWith('window.'))).toHaveLength(36);
    expect(new Set(DRIFT_INPUT_NAMES).size).toBe(DRIFT_INPUT_NAMES.length);
  });

  it('is undefined for an artifact without one, and round-trips', async () => {
    const dir = await tempDir();
    expect(await loadInputDistribution(dir)).toBeUndefined();
    await writeInputDistribution(dir, distribution());
    expect(await loadInputDistribution(dir)).toEqual(distribution());
  });

  it('refuses a corrupt file or one for other inputs, naming the problem', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, INPUT_DISTRIBUTION_FILE), '{ not json');
    await expect(loadInputDistribution(dir)).rejects.toThrow(ModelArtifactError);
    const fewer = { ...distribution(), inputs: distribution().inputs.slice(1) };
    await writeFile(join(dir, INPUT_DISTRIBUTION_FILE), JSON.stringify(fewer));
    await expect(loadInputDistribution(dir)).rejects.toThrow(/position 0/);
    const bad = distribution();
    bad.inputs[3]!.fractions = [0.5, 0.5, 0.5];
    expect(distributionProblems(bad)).toEqual([`${bad.inputs[3]!.name}: fractions sum to 1.5, not 1`]);
  });

  it('is shipped with the default model, for its own version', async () => {
    const metadata = JSON.parse(await readFile(join(defaultModelDir(), 'metadata.json'), 'utf8'));
    const shipped = await loadInputDistribution(defaultModelDir());
    expect(shipped?.modelVersion).toBe(metadata.version);
    expect(shipped?.inputs.map((i) => i.name)).toEqual(DRIFT_INPUT_NAMES);
    // Calibrated on 20 whole training days of each of the nine pairs (a day with a gap is left out).
    for (const input of shipped!.inputs) expect(input.calibration?.days, input.name).toBeGreaterThan(150);
  });
});

import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '@regime/model';
import { ConfigError } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrainerConfig } from '../src/config.ts';
import { planCycle, RetrainRefusedError } from '../src/cycle.ts';
import {
  artifactSha256,
  CHAMPION_LINK,
  currentChampion,
  listVersions,
  ModelsDirError,
  pruneVersions,
  removeStaleStaging,
  stagingDir,
  switchChampion,
  VERSIONS,
} from '../src/models-dir.ts';
import { decidePromotion } from '../src/promotion.ts';
import { tinyRecipe } from './fixture.ts';

const DAY = 86_400_000;

describe('trainer config', () => {
  it('has working defaults: weekly, 28 evaluation days, the shipped recipe, loopback', () => {
    const config = loadTrainerConfig({});
    expect(config.schedule).toEqual({ every: 7 * DAY });
    expect(config.evalDays).toBe(28);
    expect(config.trainConfigPath).toMatch(/packages\/model\/train\.default\.json$/);
    expect(config.metricsHost).toBe('127.0.0.1');
    expect(config.symbols).toEqual(['BTCUSDT']);
    expect(config.promotion).toEqual({ f1Tolerance: 0.01, maxSwitchRatio: 1.5, maxEce: 0.05 });
  });

  it('takes a duration or a cron pattern, and TRAIN_SYMBOLS over SYMBOLS', () => {
    expect(loadTrainerConfig({ RETRAIN_EVERY: '12h' }).schedule).toEqual({ every: 12 * 3_600_000 });
    expect(loadTrainerConfig({ RETRAIN_EVERY: '0 3 * * 1' }).schedule).toEqual({ pattern: '0 3 * * 1' });
    expect(loadTrainerConfig({ SYMBOLS: 'BTCUSDT', TRAIN_SYMBOLS: 'ETHUSDT,BNBUSDT' }).symbols).toEqual([
      'ETHUSDT',
      'BNBUSDT',
    ]);
  });

  it('names every bad variable at once', () => {
    try {
      loadTrainerConfig({
        RETRAIN_EVERY: 'often',
        EVAL_DAYS: '-1',
        TRAIN_SYMBOLS: 'bad symbol',
        REGISTRY_TABLE: 'x;y',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      for (const name of ['RETRAIN_EVERY', 'EVAL_DAYS', 'TRAIN_SYMBOLS', 'REGISTRY_TABLE'])
        expect((error as Error).message).toContain(name);
    }
  });
});

describe('decidePromotion', () => {
  const limits = { f1Tolerance: 0.01, maxSwitchRatio: 1.5, maxEce: 0.05 };
  const champion = { macroF1: 0.6, switchesPerDay: 3, ece: 0.02 };
  it('promotes within the tolerance and the limits', () => {
    const d = decidePromotion({ macroF1: 0.595, switchesPerDay: 2.9, ece: 0.03 }, champion, 2, limits);
    expect(d.promote).toBe(true);
    expect(d.reason).toBe(
      "promoted: macro-F1 0.5950 ≥ champion 0.6000 − 0.01; switches/day 2.90 ≤ 3.00 (1.5 × the labels' 2.00); ECE 0.0300 ≤ 0.05",
    );
  });
  it('rejects each broken rule, naming all of them', () => {
    expect(
      decidePromotion({ macroF1: 0.589, switchesPerDay: 2, ece: 0.01 }, champion, 2, limits).reason,
    ).toBe('rejected: macro-F1 0.5890 < champion 0.6000 − 0.01');
    const d = decidePromotion({ macroF1: 0.7, switchesPerDay: 3.01, ece: 0.051 }, champion, 2, limits);
    expect(d.promote).toBe(false);
    expect(d.reason).toBe("rejected: switches/day 3.01 > 3.00 (1.5 × the labels' 2.00); ECE 0.0510 > 0.05");
  });
  it('without a champion, the limits alone decide', () => {
    const d = decidePromotion({ macroF1: 0.1, switchesPerDay: 1, ece: 0.01 }, undefined, 2, limits);
    expect(d.promote).toBe(true);
    expect(d.reason).toMatch(/\(no champion to compare\)$/);
  });
});

describe('planCycle', () => {
  const recipe = parseTrainConfig(JSON.stringify(tinyRecipe()), 'tiny.json');
  const end = Date.UTC(2024, 5, 20);
  const opts = { evalDays: 1, validationDays: 1, minTrainDays: 3 };
  it('evaluates on the newest settled days, validates just before, trains before that', () => {
    const plan = planCycle(recipe, ['BTCUSDT'], end, Date.UTC(2024, 4, 10), opts);
    // The newest settled instant: the label horizon (6 h 15 min for labeler 2) before the newest close, on the stride.
    expect(plan.evaluation.to).toBeLessThanOrEqual(end - 6 * 3_600_000);
    expect(plan.evaluation.to - plan.evaluation.from).toBe(DAY);
    expect(plan.knownUntil).toBe(plan.evaluation.from);
    expect(plan.config.testFrom).toBe(plan.evaluation.from);
    expect(plan.config.validationFrom).toBe(plan.evaluation.from - DAY);
    expect(plan.config.from).toBe(recipe.from);
    expect(plan.config.smoke).toBeUndefined();
  });
  it('refuses too little settled data, saying how much there is', () => {
    expect(() => planCycle(recipe, ['BTCUSDT'], end, Date.UTC(2024, 5, 10), opts)).toThrow(
      RetrainRefusedError,
    );
    expect(() => planCycle(recipe, ['BTCUSDT'], end, Date.UTC(2024, 5, 10), opts)).toThrow(
      /too little settled data: -?\d+\.\d training days/,
    );
  });
});

describe('MODELS_DIR', () => {
  const root = mkdtempSync(join(tmpdir(), 'trainer-models-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const version = (name: string, mtime: number) => {
    const dir = join(root, VERSIONS, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metadata.json'), name);
    utimesSync(dir, mtime / 1000, mtime / 1000);
  };

  it('switches the champion link atomically, refuses a missing version, keeps the newest KEEP_MODELS', async () => {
    for (let i = 1; i <= 4; i++) version(`v${i}`, Date.UTC(2024, 0, i));
    expect(await currentChampion(root)).toBeUndefined();
    await switchChampion(root, 'v1');
    expect(readlinkSync(join(root, CHAMPION_LINK))).toBe(join(VERSIONS, 'v1'));
    await switchChampion(root, 'v3');
    expect((await currentChampion(root))?.version).toBe('v3');
    await expect(switchChampion(root, 'v9')).rejects.toThrow(ModelsDirError);
    expect((await currentChampion(root))?.version).toBe('v3');
    expect(await listVersions(root)).toEqual(['v4', 'v3', 'v2', 'v1']);
    // Keep 1: the newest (v4) and the champion (v3), whatever its age.
    expect(await pruneVersions(root, 1, 'v3')).toEqual(['v2', 'v1']);
    expect(await listVersions(root)).toEqual(['v4', 'v3']);
  });

  it('cleans staging left by a killed cycle, and hashes an artifact by its files', async () => {
    const staged = await stagingDir(root, 'v5');
    symlinkSync('x', join(root, `${CHAMPION_LINK}.tmp-dead`));
    expect((await removeStaleStaging(root)).sort()).toEqual(
      [staged.split('/').at(-1), 'champion.tmp-dead'].sort(),
    );
    expect(lstatSync(join(root, CHAMPION_LINK)).isSymbolicLink()).toBe(true);
    const a = await artifactSha256(join(root, VERSIONS, 'v4'));
    writeFileSync(join(root, VERSIONS, 'v4', 'metadata.json'), 'changed');
    expect(await artifactSha256(join(root, VERSIONS, 'v4'))).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says so when the champion link points at a deleted version', async () => {
    rmSync(join(root, VERSIONS, 'v3'), { recursive: true });
    await expect(currentChampion(root)).rejects.toThrow(/points at .*v3, which does not exist/);
  });
});

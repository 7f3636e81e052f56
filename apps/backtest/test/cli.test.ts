import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { LABELER_VERSION } from '@regime/labeler';
import { ARTIFACT_FILES } from '@regime/model';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { testModelDir } from './test-model.ts';

const work = mkdtempSync(join(tmpdir(), 'backtest-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const backtest = (args: string[]) => runCli(args);

const base = ['--data', sharedKlinesDir(), '--symbols', 'BTCUSDT', '--out', join(work, 'REPORT.md')];

describe('backtest CLI: bad input exits with code 2 and says what is wrong', () => {
  it('--help lists the flags and exits 0', async () => {
    const { code, stdout } = await backtest(['--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--data',
      '--symbols',
      '--from',
      '--to',
      '--model',
      '--fee-bps',
      '--slippage-bps',
      '--out',
      '--questdb',
    ]) {
      expect(stdout).toContain(flag);
    }
  }, 60_000);

  it('refuses --from after --to, negative fees and an unknown flag, naming each', async () => {
    const [reversed, negativeFee, unknown] = await Promise.all([
      backtest([...base, '--from', '2025-06-01', '--to', '2025-05-01']),
      backtest([...base, '--from', '2025-05-01', '--to', '2025-05-02', '--fee-bps', '-1']),
      backtest([...base, '--from', '2025-05-01', '--to', '2025-05-02', '--fees', '3']),
    ]);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toMatch(
      /--from 2025-06-01T00:00:00.000Z is not before --to 2025-05-01T00:00:00.000Z/,
    );
    expect(negativeFee.code).toBe(2);
    expect(negativeFee.stderr).toMatch(/--fee-bps "-1" must be a number of basis points ≥ 0/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--fees'/);
  }, 90_000);

  it('refuses a model artifact trained with another labeler version', async () => {
    const model = join(work, 'other-labeler');
    const metadata = JSON.parse(readFileSync(join(await testModelDir(), ARTIFACT_FILES.metadata), 'utf8'));
    metadata.labeler.version = `${LABELER_VERSION}-other`;
    rmSync(model, { recursive: true, force: true });
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, ARTIFACT_FILES.metadata), JSON.stringify(metadata));
    const { code, stderr } = await backtest([
      ...base,
      '--from',
      '2025-05-01',
      '--to',
      '2025-05-02',
      '--model',
      model,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`trained with labeler version "${LABELER_VERSION}-other"`);
    expect(stderr).toContain(`this build labels with ${LABELER_VERSION}`);
  }, 60_000);

  it.skipIf(!hasSharedKlines())(
    'refuses a period without candles',
    async () => {
      const model = await testModelDir();
      const { code, stderr } = await backtest([
        ...base,
        '--from',
        '2012-01-01',
        '--to',
        '2012-01-02',
        '--model',
        model,
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /no 5m candles for BTCUSDT from 2012-01-01T00:00:00.000Z to 2012-01-02T00:00:00.000Z/,
      );
    },
    60_000,
  );
});

describe('backtest:choose CLI', () => {
  const choose = (args: string[]) => runCli(args, {}, 'choose-main.ts');

  it('--help says what it chooses and lists the flags', async () => {
    const { code, stdout } = await choose(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('validation period');
    for (const flag of ['--from', '--to', '--model', '--fee-bps', '--out']) expect(stdout).toContain(flag);
  }, 60_000);

  it('never tunes on the test period: a period overlapping it exits 2 before anything runs', async () => {
    const out = join(work, 'parameters.json');
    const { code, stderr } = await choose(['--from', '2025-04-01', '--to', '2025-06-01', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/never chosen on the test period 2025-05-01 … 2025-11-01/);
    expect(() => readFileSync(out)).toThrow();
  }, 60_000);
});

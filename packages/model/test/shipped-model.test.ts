import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasSharedKlines, sharedKlinesDir } from '@regime/candles/files';
import { describe, expect, it } from 'vitest';
import { readInferenceArtifact } from '../src/artifact-files.ts';
import { fileCandleSource } from '../src/candle-source.ts';
import type { EvaluationReport } from '../src/evaluate.ts';
import { defaultModelDir } from '../src/model.ts';
import { cardFacts, renderCardFacts } from '../src/model-card.ts';
import { candleRange } from '../src/period-data.ts';
import { smokeMetrics } from '../src/pipeline.ts';

const dir = defaultModelDir();
const shipped = existsSync(join(dir, 'metadata.json'));
const cardPath = join(dir, '../../MODEL_CARD.md');
const reportPath = join(dir, 'evaluation.json');

if (!hasSharedKlines()) console.warn(`shipped-model smoke check skipped: no candles in ${sharedKlinesDir()}`);

describe('the shipped model', () => {
  it('exists with its evaluation report and model card', () => {
    expect(shipped).toBe(true);
    expect(existsSync(reportPath)).toBe(true);
    expect(existsSync(cardPath)).toBe(true);
  });

  it('MODEL_CARD.md shows exactly the numbers of the saved evaluation report', async () => {
    const { metadata } = await readInferenceArtifact(dir);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as EvaluationReport;
    const card = await readFile(cardPath, 'utf8');
    expect(report.model.version).toBe(metadata.version);
    expect(cardFacts(card)).toBe(renderCardFacts(metadata, report).trim());
  });

  describe.skipIf(!hasSharedKlines())('on the real candles in ../shared', () => {
    it('reproduces the smoke check recorded when it was trained', async () => {
      const { network, metadata, scalers } = await readInferenceArtifact(dir);
      const smoke = metadata.metrics.smoke;
      expect(smoke).toBeDefined();
      const period = { from: Date.parse(smoke!.from), to: Date.parse(smoke!.to) };
      const history = await fileCandleSource(sharedKlinesDir()).history(
        smoke!.symbol,
        candleRange(period, metadata.labeler.params),
      );
      const again = await smokeMetrics(
        network,
        scalers,
        [{ symbol: smoke!.symbol, history }],
        { symbol: smoke!.symbol, ...period, strideMinutes: smoke!.strideMinutes },
        metadata.labeler.params,
      );
      expect(again).toEqual(smoke);
    });
  });
});

import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTinyModel } from '@regime/model/tiny-model';
import { createLogger } from '@regime/service';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyModel } from '../src/model-check.ts';
import { ModelHolder } from '../src/model-holder.ts';

const log = createLogger('model-holder-test');
log.level = 'silent';

/** Polls `probe`; the deadline (inside the test's 60 s timeout) only names what never happened. */
async function waitFor(what: string, probe: () => boolean, timeoutMs = 50_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !probe(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('ModelHolder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'predictor-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('swaps in a new artifact saved into the folder, and refuses a broken one', async () => {
    await createTinyModel(dir, 'tiny-v1', 1);
    const outcomes: string[] = [];
    const holder = await ModelHolder.open({
      dir,
      log,
      watch: true,
      debounceMs: 200,
      verify: verifyModel,
      onReload: (o) => outcomes.push(o),
    });
    expect(holder.version).toBe('tiny-v1');

    await createTinyModel(dir, 'tiny-v2', 2);
    await waitFor('the reload', () => holder.version === 'tiny-v2');
    expect(outcomes).toContain('swapped');

    // A half-written artifact: the old model stays in service.
    writeFileSync(join(dir, 'metadata.json'), '{"format": 1, "version": "broken"');
    await waitFor('the refusal', () => outcomes.includes('refused'));
    expect(holder.version).toBe('tiny-v2');
    const [prediction] = await holder.use((model) =>
      model.predict([
        {
          window: {
            asOf: 0,
            steps: 64,
            featureNames: model.metadata.featureNames,
            values: new Float64Array(64 * model.metadata.featureNames.length).fill(0.5),
            stepEnds: [],
          },
          view: {
            asOf: 0,
            barClose: 0,
            summary: new Float64Array(model.metadata.view.summaryNames.length).fill(0.5),
            bars: new Float64Array(model.metadata.view.bars * model.metadata.view.barNames.length).fill(0.5),
          },
        },
      ]),
    );
    expect(prediction!.confidence).toBeGreaterThan(0);
    await holder.close();
  });

  it("follows a symlinked folder switched by renaming a new link over it (the trainer's champion)", async () => {
    const root = mkdtempSync(join(tmpdir(), 'predictor-champion-'));
    try {
      await createTinyModel(join(root, 'v1'), 'tiny-link-1', 1);
      await createTinyModel(join(root, 'v2'), 'tiny-link-2', 2);
      const link = join(root, 'champion');
      symlinkSync('v1', link);
      const outcomes: string[] = [];
      // No poll: the parent folder's watch alone must see the switch.
      const holder = await ModelHolder.open({
        dir: link,
        log,
        watch: true,
        debounceMs: 200,
        linkPollMs: 3_600_000,
        verify: verifyModel,
        onReload: (o) => outcomes.push(o),
      });
      expect(holder.version).toBe('tiny-link-1');
      symlinkSync('v2', join(root, 'champion.tmp'));
      renameSync(join(root, 'champion.tmp'), link);
      await waitFor('the switch', () => holder.version === 'tiny-link-2');
      // It now watches v2's folder: a new artifact saved there is picked up too.
      await createTinyModel(join(root, 'v2'), 'tiny-link-3', 3);
      await waitFor('the reload of the new target', () => holder.version === 'tiny-link-3');
      // Saving into the old target changes nothing.
      await createTinyModel(join(root, 'v1'), 'tiny-link-4', 4);
      await new Promise((r) => setTimeout(r, 1000));
      expect(holder.version).toBe('tiny-link-3');
      expect(outcomes.filter((o) => o === 'refused')).toEqual([]);
      await holder.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import type { Logger } from '@regime/service';
import cliProgress from 'cli-progress';
import type { DatasetProgress } from './dataset.ts';
import type { PipelineProgress } from './pipeline.ts';

/**
 * Progress of `regime-model train`/`evaluate`: cli-progress bars on a terminal (one per dataset split,
 * one per epoch showing the running loss and the validation macro-F1), plain log lines otherwise
 * (e.g. under nohup), so a log file stays readable.
 */
export interface ProgressReporter {
  update(p: PipelineProgress): void;
  stop(): void;
}

export function progressReporter(
  logger: Logger,
  maxEpochs: number,
  tty = process.stdout.isTTY === true,
): ProgressReporter {
  return tty ? barReporter(maxEpochs) : logReporter(logger, maxEpochs);
}

function barReporter(maxEpochs: number): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let key = '';
  let lastF1 = 'n/a';
  const open = (name: string, format: string, total: number, payload: object) => {
    if (key === name && bar) return bar;
    bar?.stop();
    key = name;
    bar = new cliProgress.SingleBar({ format, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(Math.max(1, total), 0, payload);
    return bar;
  };
  return {
    update(p) {
      if (p.stage === 'dataset' && p.dataset) {
        const d = p.dataset;
        open(`dataset ${p.split} ${d.symbol}`, `{label} |{bar}| {value}/{total} instants`, d.total, {
          label: `${p.split} ${d.symbol}`.padEnd(22),
        }).update(d.done);
      } else if (p.stage === 'baselines') {
        bar?.stop();
        bar = undefined;
        key = '';
        console.log('fitting the logistic-regression baseline…');
      } else if (p.stage === 'decision') {
        bar?.stop();
        bar = undefined;
        key = '';
        console.log('tuning the decision layer on validation…');
      } else if (p.batch) {
        const b = p.batch;
        open(
          `epoch ${b.epoch}`,
          `epoch {epoch}/${maxEpochs} |{bar}| {value}/{total} loss {loss} | val macro-F1 {f1}`,
          b.total,
          { epoch: b.epoch, loss: '…', f1: lastF1 },
        ).update(b.done, { loss: b.loss.toFixed(4) });
      } else if (p.epoch) {
        lastF1 = p.epoch.validationMacroF1.toFixed(4);
        bar?.update({ f1: `${lastF1}${p.epoch.improved ? ' (best)' : ''}` });
        bar?.stop();
        bar = undefined;
        key = '';
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function logReporter(logger: Logger, maxEpochs: number): ProgressReporter {
  let lastDataset = '';
  let lastQuarter = -1;
  const datasetLine = (split: string | undefined, d: DatasetProgress) => {
    const name = `${split} ${d.symbol}`;
    if (d.done === d.total || name !== lastDataset) {
      lastDataset = name;
      logger.info(
        { split, symbol: d.symbol, done: d.done, total: d.total },
        `dataset ${name}: ${d.done}/${d.total} instants`,
      );
    }
  };
  return {
    update(p) {
      if (p.stage === 'dataset' && p.dataset) datasetLine(p.split, p.dataset);
      else if (p.stage === 'baselines') logger.info('fitting the logistic-regression baseline');
      else if (p.stage === 'decision') logger.info('tuning the decision layer on validation');
      else if (p.batch) {
        const quarter = Math.floor((p.batch.done / p.batch.total) * 4);
        if (quarter !== lastQuarter && quarter < 4) {
          lastQuarter = quarter;
          logger.info(
            p.batch,
            `epoch ${p.batch.epoch}/${maxEpochs}: ${p.batch.done}/${p.batch.total} loss ${p.batch.loss.toFixed(4)}`,
          );
        }
      } else if (p.epoch) {
        lastQuarter = -1;
        const e = p.epoch;
        logger.info(
          e,
          `epoch ${e.epoch}/${maxEpochs}: loss ${e.loss.toFixed(4)}, val macro-F1 ${e.validationMacroF1.toFixed(4)}${e.improved ? ' (best)' : ''}, ${e.samplesPerSecond.toFixed(0)} samples/s`,
        );
      }
    },
    stop() {},
  };
}

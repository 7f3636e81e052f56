import type { Logger } from '@regime/service';
import cliProgress from 'cli-progress';

export interface Progress {
  update(p: { stage: 'candles' | 'predictions'; done: number; total: number; symbol?: string }): void;
  stop(): void;
}

/**
 * A cli-progress bar over the predicted instants on a terminal (the library the other CLIs use), a
 * log line per tenth otherwise, so a log file stays readable.
 */
export function progressReporter(logger: Logger, tty = process.stdout.isTTY === true): Progress {
  if (tty) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(p) {
        if (p.stage === 'candles') return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: 'predicting |{bar}| {value}/{total} instants | {eta_formatted} left',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, 0);
        }
        bar.update(p.done);
      },
      stop() {
        bar?.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    update(p) {
      if (p.stage === 'candles') {
        logger.info({ symbol: p.symbol }, `reading the candles of ${p.symbol}`);
        return;
      }
      const tenth = Math.floor((p.done / Math.max(1, p.total)) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        logger.info({ done: p.done, total: p.total }, `predicted ${p.done}/${p.total} instants`);
      }
    },
    stop() {},
  };
}

import { Command } from 'commander';
import { DEFAULT_BATCH_SIZE } from './walk-forward.ts';

export function backtestCommand(): Command {
  return new Command('backtest')
    .configureHelp({ helpWidth: 110 })
    .description(
      [
        'Walk-forward backtest of regime strategies against their regime-free twins. At every 5-minute',
        'instant the official prediction is computed exactly as the predictor computes it, from the candles',
        "closed by then; each strategy's position for the next 5 minutes is decided from that and the",
        "prices known then. Each regime strategy also runs on labeler 2's causal segmentation (@causal, no",
        'look-ahead) and on its hindsight labels (@hindsight: a ceiling, not a strategy). Parameters come',
        'from apps/backtest/parameters.json (npm run backtest:choose, validation period only).',
        'Writes REPORT.md, REPORT.json and one equity-and-drawdown SVG per symbol.',
        '',
        'Exit codes: 0 done, 1 the run failed, 2 bad input (flags, environment, model artifact, no candles',
        'in the period).',
        'Environment (only with --data questdb or --questdb): QUESTDB_HTTP, QUESTDB_PG_URL, KLINES_TABLE,',
        'BACKTEST_EQUITY_TABLE.',
      ].join('\n'),
    )
    .option(
      '--data <dir|questdb>',
      'candles: a folder in the ../shared/data/klines layout, or "questdb" for the klines table (default: ../shared/data/klines)',
    )
    .option('--symbols <list>', 'comma-separated symbols', 'BTCUSDT')
    .option('--from <date>', 'first as-of instant, YYYY-MM-DD or ISO date-time (UTC)')
    .option('--to <date>', 'end of the period, exclusive')
    .option('--model <dir>', 'model artifact folder (default: the model shipped in packages/model)')
    .option('--fee-bps <n>', 'fee per side, basis points of the traded notional', '10')
    .option('--slippage-bps <n>', 'slippage per side, basis points of the traded notional', '0')
    .option('--out <REPORT.md>', 'report to write; REPORT.json and REPORT-<symbol>.svg go beside it')
    .option('--questdb', 'also write the equity curves to the backtest_equity table')
    .option(
      '--workers <n>',
      'worker threads computing predictions (default: one per symbol, at most the CPU count)',
    )
    .option('--batch-size <n>', 'feature windows per model call', String(DEFAULT_BATCH_SIZE))
    .addHelpText(
      'after',
      '\nExample:\n  npm run backtest -- --data ../shared/data/klines --symbols BTCUSDT,ETHUSDT \\\n' +
        '    --from 2025-05-01 --to 2025-11-01 --out /tmp/backtest/REPORT.md',
    );
}

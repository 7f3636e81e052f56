import { redactText } from '@regime/service';
import { Command } from 'commander';
import { stackConfigFromEnv } from './config.ts';
import { ensureStack, type ServiceStatus, stackStatus, stopStack } from './stack.ts';

const program = new Command('stack')
  .description(
    'Local QuestDB (from Maven Central) and Redis for development and tests.\n' +
      'Configured by QUESTDB_HTTP, QUESTDB_PG_URL, REDIS_URL, QUESTDB_VERSION, QUESTDB_HEAP, ' +
      'QUESTDB_ILP_TCP_PORT, QUESTDB_MIN_HTTP_PORT, STACK_DIR, MAVEN_REPOSITORY.',
  )
  .showHelpAfterError();

program
  .command('up')
  .description('start QuestDB and Redis unless they already answer; wait until both are healthy')
  .action(async () => {
    const result = await ensureStack();
    console.log(`[stack] ready: QuestDB ${result.questdb}, Redis ${result.redis}`);
  });

program
  .command('down')
  .description('stop what `up` started (and nothing else)')
  .action(async () => {
    await stopStack();
  });

program
  .command('status')
  .description('show whether QuestDB and Redis answer, and whether `up` started them')
  .action(async () => {
    const status = await stackStatus();
    const line = (name: string, s: ServiceStatus) =>
      `${name.padEnd(8)} ${s.healthy ? 'healthy' : 'DOWN'.padEnd(7)}  ${redactText(s.url)}  ` +
      (s.managedPid ? `started by stack:up (pid ${s.managedPid})` : 'not managed by stack:up');
    console.log(line('QuestDB', status.questdb));
    console.log(line('Redis', status.redis));
    if (!status.questdb.healthy || !status.redis.healthy) process.exitCode = 1;
  });

try {
  stackConfigFromEnv(); // report configuration errors before doing anything
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(redactText(`[stack] ${(error as Error).message}`));
  process.exitCode = 1;
}

/** `sluice <verb>`: the command line (design notes, "Command line"). */
import { Command, Option } from 'commander';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';
import { processCommand } from './process.js';
import { LOG_LEVELS } from './logger.js';

const program = new Command();
const logLevel = () => new Option('--log-level <level>', 'log level (or SLUICE_LOG_LEVEL)').choices(LOG_LEVELS);

program.name('sluice').description('Kafka → Elasticsearch indexing pipelines').showHelpAfterError();

program
  .command('run')
  .description('run pipelines until SIGTERM/SIGINT, then flush, commit and exit 0')
  .argument('<paths...>', 'pipeline files or directories of them')
  .addOption(new Option('--shutdown-timeout <ms>', 'how long a graceful stop may take to deliver what is in flight').default('30000').env('SLUICE_SHUTDOWN_TIMEOUT_MS'))
  .addOption(logLevel())
  .action(async (paths: string[], opts) => {
    process.exitCode = await runCommand(paths, { shutdownTimeoutMs: Number(opts.shutdownTimeout), logLevel: opts.logLevel });
  });

program
  .command('validate')
  .description('check pipeline files; exit 1 with file:line:col errors')
  .argument('<paths...>', 'pipeline files or directories of them')
  .action(async (paths: string[]) => {
    process.exitCode = await validateCommand(paths);
  });

program
  .command('process')
  .description('run raw records (one per line) through a pipeline\'s codec and filters; events on stdout, dead letters on stderr')
  .argument('<pipeline>', 'pipeline file')
  .option('--input <file>', 'read records from this file instead of stdin')
  .option('--metadata', 'include @metadata in the printed events')
  .addOption(logLevel())
  .action(async (file: string, opts) => {
    process.exitCode = await processCommand(file, { input: opts.input, metadata: Boolean(opts.metadata), logLevel: opts.logLevel });
  });

await program.parseAsync(process.argv);

/** `sluice <verb>`: the command line (design notes, "Command line"). */
import { Command, Option } from 'commander';
import cluster from 'node:cluster';
// Each command is imported when it runs: start-up CPU is paid per process (`sluice process`
// over a file is measured whole against other tools), and no command needs the others' code.
import { CONVERT_EXIT_CODES, REPLAY_EXIT_CODES } from './exit-codes.js';
import { LOG_LEVELS } from './logger.js';
import { installOutputScrubbing } from '../config/secrets.js';
import { SLUICE_VERSION } from '../core/version.js';
import { takeOverSignals } from './boot-signals.js';

const program = new Command();
const logLevel = () => new Option('--log-level <level>', 'log level (or SLUICE_LOG_LEVEL)').choices(LOG_LEVELS);

/** What `sluice --version` and `sluice version` print (also on /metrics as sluice_build_info). */
const versionLine = `sluice ${SLUICE_VERSION} (Node.js ${process.version})`;

program.name('sluice').description('Kafka → Elasticsearch indexing pipelines').version(versionLine, '-V, --version', 'print the version of sluice and of Node.js').showHelpAfterError();
// Secrets never reach the terminal: what the diagnostic verbs print is scrubbed of every
// secret the loaded pipelines hold (config/secrets.ts). `process` and `test` print the
// user's data, and `convert` the pipeline it writes, which are left as they are.
program.hook('preAction', (_program, action) => {
  if (!['process', 'test', 'convert'].includes(action.name())) installOutputScrubbing();
  // `run` takes the signals over itself, together with its graceful stop.
  if (action.name() !== 'run') takeOverSignals();
});

program
  .command('run')
  .description('run pipelines until SIGTERM/SIGINT, then flush, commit and exit 0')
  .argument('<paths...>', 'pipeline files or directories of them')
  .addOption(new Option('--shutdown-timeout <ms>', 'how long a graceful stop may take to deliver what is in flight').default('30000').env('SLUICE_SHUTDOWN_TIMEOUT_MS'))
  .addOption(new Option('--http-address <address>', 'address of the /healthz /readyz /metrics listener (0.0.0.0 for all interfaces)').default('127.0.0.1').env('SLUICE_HTTP_ADDRESS'))
  .addOption(new Option('--http-port <port>', 'port of the /healthz /readyz /metrics listener (0: any free port)').default('9600').env('SLUICE_HTTP_PORT'))
  .addOption(new Option('--workers <n>', 'worker processes running the pipelines, each a member of their consumer groups (to use several cores); 1 runs them in this process').default('1').env('SLUICE_WORKERS'))
  .addOption(logLevel())
  .action(async (paths: string[], opts, cmd: Command) => {
    const port = Number(opts.httpPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) cmd.error(`error: --http-port must be a port number from 0 to 65535 (got "${opts.httpPort}")`);
    const workers = Number(opts.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) cmd.error(`error: --workers must be a whole number from 1 to 256 (got "${opts.workers}")`);
    const explicit = cmd.getOptionValueSource('httpPort') !== 'default' || cmd.getOptionValueSource('httpAddress') !== 'default';
    const shutdownTimeoutMs = Number(opts.shutdownTimeout);
    if (cluster.isWorker) {
      // A worker of `run --workers N` (forked by the supervisor with the same arguments).
      process.exitCode = await (await import('./run.js')).runCommand(paths, { shutdownTimeoutMs, logLevel: opts.logLevel, worker: { id: Number(process.env.SLUICE_WORKER_ID ?? 0) } });
      // The IPC channel would keep the worker alive once its pipelines stopped. Through the
      // cluster worker, not process.disconnect(): cluster treats a bare disconnect as the
      // primary gone and exits at once with code 0, losing the exit code and unflushed logs.
      if (process.connected) cluster.worker?.disconnect();
    } else if (workers > 1) {
      process.exitCode = await (await import('./workers.js')).superviseWorkers(paths, { workers, shutdownTimeoutMs, logLevel: opts.logLevel, http: { address: opts.httpAddress, port, explicit } });
    } else {
      process.exitCode = await (await import('./run.js')).runCommand(paths, { shutdownTimeoutMs, logLevel: opts.logLevel, http: { address: opts.httpAddress, port, explicit } });
    }
  });

program
  .command('version')
  .description('print the version of sluice and of Node.js')
  .action(() => {
    process.stdout.write(`${versionLine}\n`);
  });

program
  .command('validate')
  .description('check pipeline files; exit 1 with file:line:col errors')
  .argument('<paths...>', 'pipeline files or directories of them')
  .action(async (paths: string[]) => {
    process.exitCode = await (await import('./validate.js')).validateCommand(paths);
  });

program
  .command('process')
  .description('run raw records (one per line) through a pipeline\'s codec and filters; events on stdout, dead letters on stderr')
  .argument('<pipeline>', 'pipeline file')
  .option('--input <file>', 'read records from this file instead of stdin')
  .option('--metadata', 'include @metadata in the printed events')
  .option('--discard', 'print no events and no dead letters, only one summary line on stderr (events, dead letters, CPU s, wall s, events/s, peak RSS): for measuring the filter stage')
  .addOption(logLevel())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./process.js')).processCommand(file, { input: opts.input, metadata: Boolean(opts.metadata), discard: Boolean(opts.discard), logLevel: opts.logLevel });
  });

program
  .command('test')
  .description('run pipeline test cases (<name>.test.json beside <name>.json): records in, expected events out')
  .argument('<paths...>', 'test files, pipeline files or directories')
  .action(async (paths: string[]) => {
    process.exitCode = await (await import('./test.js')).testCommand(paths);
  });

program
  .command('replay')
  .description("re-produce records from the pipeline's dead-letter topic to their source topics (read up to the end seen at start)")
  .argument('<pipeline>', 'pipeline file')
  .option('--reason <reasons>', 'only these reasons (comma-separated: es_rejected,decode_failed,...)')
  .option('--stage <stages>', 'only these stages (comma-separated; "filter" matches every filter:<id>)')
  .option('--source-topic <topics>', 'only records that came from these topics (comma-separated)')
  .option('--since <time>', 'only records that failed at or after this time (ISO-8601, or a duration ago: 90m, 6h, 2d)')
  .option('--until <time>', 'only records that failed before this time (same forms as --since)')
  .option('--limit <n>', 'stop after this many selected records')
  .option('--to <topic>', 'produce to this topic instead of each record\'s source topic')
  .option('--group <name>', 'consumer group that remembers progress: a later run with the same group resumes where this one stopped')
  .option('--max-attempts <n>', 'skip records that already failed this many times', '3')
  .option('--force', 'replay records even past --max-attempts')
  .option('--dry-run', 'print what would be replayed (counts by reason, stage, source topic, with a sample error) and change nothing')
  .addOption(logLevel())
  .addHelpText('after', `\nExit codes:\n${Object.entries(REPLAY_EXIT_CODES).map(([code, what]) => `  ${code}  ${what}`).join('\n')}`)
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./replay.js')).replayCommand(file, opts);
  });

program
  .command('doctor')
  .description('diagnose connectivity and configuration of a pipeline: Kafka brokers, advertised addresses, topics, group lag, dead-letter topic, Elasticsearch')
  .argument('<pipeline>', 'pipeline file')
  .option('--timeout <ms>', 'time limit of each network check', '5000')
  .addOption(logLevel())
  .addHelpText('after', '\nEach check prints PASS, WARN or FAIL, with a fix hint for WARN and FAIL.\nExit codes: 0 no FAIL (WARNs allowed), 1 at least one FAIL, 2 the pipeline file is invalid.')
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./doctor.js')).doctorCommand(file, { timeoutMs: Number(opts.timeout), logLevel: opts.logLevel });
  });

program
  .command('convert')
  .description('translate Logstash .conf files into one sluice pipeline (JSON on stdout), reporting on stderr what has no equivalent')
  .argument('<paths...>', 'Logstash config files, directories (all files, sorted by name) or globs, concatenated in Logstash\'s order')
  .option('-o, --output <file>', 'write the pipeline to this file instead of stdout')
  .option('--allow-partial', 'write the pipeline even when some constructs could not be converted (unconverted filters tag events _sluice_unconverted_<plugin>)')
  .option('--id <id>', 'pipeline id (default: the first file\'s name)')
  .option('--brokers <list>', 'Kafka brokers, for configs without a kafka input (default ${KAFKA_BROKERS:-localhost:9092})')
  .option('--topics <list>', 'Kafka topics (comma-separated), for configs without a kafka input (default ${KAFKA_TOPIC:-<id>})')
  .option('--group-id <id>', 'consumer group, for configs without a kafka input (default ${KAFKA_GROUP_ID:-sluice-<id>})')
  .option('--es-url <url>', 'Elasticsearch URL, for configs without an elasticsearch output (default ${ES_URL:-http://localhost:9200})')
  .option('--index <template>', 'index, for configs without an elasticsearch output or index (default ${ES_INDEX:-<id>-%{+yyyy.MM.dd}})')
  .addOption(new Option('--ecs-compatibility <mode>', 'the pipeline.ecs_compatibility the configs were written for').choices(['disabled', 'v1', 'v8']).default('v8'))
  .option('--support-escapes', 'read strings as with Logstash\'s config.support_escapes: true')
  .addHelpText('after', `\nExit codes:\n${Object.entries(CONVERT_EXIT_CODES).map(([code, what]) => `  ${code}  ${what}`).join('\n')}`)
  .action(async (paths: string[], opts) => {
    process.exitCode = await (await import('./convert/command.js')).convertCommand(paths, {
      output: opts.output,
      allowPartial: Boolean(opts.allowPartial),
      id: opts.id,
      brokers: opts.brokers,
      topics: opts.topics ? String(opts.topics).split(',').map((t: string) => t.trim()).filter(Boolean) : undefined,
      groupId: opts.groupId,
      esUrl: opts.esUrl,
      index: opts.index,
      ecs: opts.ecsCompatibility,
      supportEscapes: Boolean(opts.supportEscapes),
    });
  });

await program.parseAsync(process.argv);

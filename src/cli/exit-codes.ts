/**
 * Exit codes of the verbs that document theirs (in `--help`). Kept apart from the commands so
 * the CLI can print help without loading them (each command is imported only when it runs).
 */
export const REPLAY_EXIT_CODES: Record<number, string> = {
  0: 'done: every selected record was re-produced and acknowledged (or, with --dry-run, summarised); also when nothing was selected',
  1: 'failed: Kafka unreachable, a target topic missing, or a produce not acknowledged; what was acknowledged before stays done, and with --group a new run resumes after it',
  2: 'usage: the pipeline file or an option is invalid',
  3: 'done, but some selected records were skipped because their attempt count reached --max-attempts (replay them with --force once the cause is fixed)',
  130: 'interrupted (SIGINT/SIGTERM) after the batch in progress; with --group a new run resumes',
};

export const CONVERT_EXIT_CODES = {
  0: 'everything was converted',
  1: 'something could not be converted (listed on stderr); the pipeline is written only with --allow-partial',
  2: 'no configuration to convert, or an internal failure',
} as const;

/** Java log lines for the multiline tests: what logback prints for an exception. */

/**
 * The lines of a Java exception with two `Caused by:` sections, `lines` long (at least 12):
 * `java.lang.IllegalStateException: …`, tab-indented `at` frames, `Caused by:` twice, and
 * `... n more` / `... n common frames omitted` after each cause.
 */
export function javaException(lines: number, cls: string, tag = 'x'): string[] {
  if (lines < 12) throw new Error('javaException needs at least 12 lines');
  const frames = (n: number, pkg: string) => Array.from({ length: n }, (_, i) => `\tat ${pkg}.Step${i}.run(Step${i}.java:${10 + i})`);
  const body = lines - 5; // the header, the two Caused by and the two "..." lines
  const a = Math.ceil(body / 2);
  const b = Math.floor((body - a) / 2) + 1;
  const c = body - a - b + 2;
  return [
    `java.lang.IllegalStateException: ${tag} failed in ${cls}`,
    ...frames(a, cls),
    `Caused by: java.io.UncheckedIOException: ${tag} upstream gone`,
    ...frames(b - 1, 'c.e.client'),
    '\t... 12 more',
    `Caused by: java.net.SocketTimeoutException: ${tag} read timed out`,
    ...frames(c - 1, 'java.base/java.net'),
    '\t... 3 common frames omitted',
  ];
}

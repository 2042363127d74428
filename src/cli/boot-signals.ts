/**
 * bin/sluice exits 0 on SIGTERM/SIGINT while the modules load (nothing has started yet). A
 * command takes the signals over with this: `run` right before it installs its graceful stop,
 * the other verbs before they do anything (their signals then behave as usual).
 */
const KEY = Symbol.for('sluice.bootSignals');

export function takeOverSignals(): void {
  const handler = (globalThis as Record<symbol, unknown>)[KEY] as ((...args: unknown[]) => void) | undefined;
  if (!handler) return;
  process.removeListener('SIGTERM', handler);
  process.removeListener('SIGINT', handler);
  delete (globalThis as Record<symbol, unknown>)[KEY];
}

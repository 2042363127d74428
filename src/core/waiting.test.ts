import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { isStartAborted, untilAvailable } from './waiting.js';
import { UserError } from './user-error.js';

function capture() {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

const explain = (err: unknown) => ({ what: `thing ${(err as Error).message.split(':')[0]}`, cause: (err as Error).message, fix: 'fix it' });

describe('untilAvailable', () => {
  it('warns once per problem, repeats at a bounded rate, says when it is available, and reports the wait to readiness', async () => {
    const { logger, lines } = capture();
    const waits: (string | undefined)[] = [];
    const metrics = { waiting: (_d: string, r: string | undefined) => waits.push(r) } as never;
    let n = 0;
    const result = await untilAvailable(
      async () => {
        n++;
        if (n <= 6) throw new Error(`A: try ${n}`);
        if (n <= 8) throw new Error('B: other');
        return 'ok';
      },
      { logger, metrics, dependency: 'dep', pipelineFile: 'p.json', explain, minDelayMs: 5, maxDelayMs: 5, repeatMs: 12, maxRepeatMs: 1000 },
    );
    expect(result).toBe('ok');
    const warns = lines.filter((l) => l.level === 40).map((l) => l.msg as string);
    // A once, again after 12 ms (attempts are 5 ms apart), then B as soon as it differs.
    expect(warns.filter((m) => m.startsWith('thing A')).length).toBeGreaterThanOrEqual(2);
    expect(warns.filter((m) => m.startsWith('thing A')).length).toBeLessThan(6);
    expect(warns.filter((m) => m.startsWith('thing B'))).toHaveLength(1);
    expect(warns[0]).toMatch(/^thing A: A: try 1; fix it; diagnose with: sluice doctor p\.json\. Waiting/);
    expect(lines.at(-1)!.msg).toMatch(/^dep available after \d+ s of waiting; starting$/);
    expect(waits.at(-1)).toBeUndefined();
    expect(waits[0]).toBe('thing A: A: try 1');
  });

  it('throws a UserError at once, and StartAborted as soon as the signal aborts', async () => {
    const { logger } = capture();
    await expect(untilAvailable(() => Promise.reject(new UserError('bad password')), { logger, dependency: 'd', explain })).rejects.toThrow('bad password');
    const abort = new AbortController();
    const pending = untilAvailable(() => new Promise<never>(() => undefined), { logger, dependency: 'd', explain, signal: abort.signal });
    abort.abort();
    await expect(pending.catch((e) => isStartAborted(e))).resolves.toBe(true);
    const sleeping = untilAvailable(() => Promise.reject(new Error('x: down')), { logger, dependency: 'd', explain, signal: abort.signal, minDelayMs: 60_000 });
    await expect(sleeping.catch((e) => isStartAborted(e))).resolves.toBe(true);
  });
});

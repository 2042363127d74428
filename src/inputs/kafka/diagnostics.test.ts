import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { coordinatorStarting, whileCoordinatorStarts } from './diagnostics.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };

/** A protocol error as kafkajs' admin throws it once its own retries are spent. */
function afterRetries(code: number): Error {
  return new kafkajs.KafkaJSNumberOfRetriesExceeded(new kafkajs.KafkaJSProtocolError(createErrorFromCode(code)), { retryCount: 1, retryTime: 200 });
}

describe('doctor: group requests while the group coordinator starts', () => {
  it('knows the coordinator-starting answers, also wrapped by the retrier, and nothing else', () => {
    expect(coordinatorStarting(afterRetries(14))).toBe(true); // GROUP_LOAD_IN_PROGRESS
    expect(coordinatorStarting(afterRetries(15))).toBe(true); // GROUP_COORDINATOR_NOT_AVAILABLE
    expect(coordinatorStarting(afterRetries(16))).toBe(true); // NOT_COORDINATOR_FOR_GROUP
    expect(coordinatorStarting(afterRetries(30))).toBe(false); // GROUP_AUTHORIZATION_FAILED
    expect(coordinatorStarting(new Error('connect ECONNREFUSED'))).toBe(false);
  });

  it('asks again while the coordinator is starting, then returns the answer', async () => {
    let calls = 0;
    const answer = await whileCoordinatorStarts(async () => {
      calls++;
      if (calls < 3) throw afterRetries(16);
      return 'described';
    }, 10_000, 'describing');
    expect(answer).toBe('described');
    expect(calls).toBe(3);
  });

  it('gives any other error back at once', async () => {
    let calls = 0;
    const denied = afterRetries(30);
    await expect(whileCoordinatorStarts(async () => {
      calls++;
      throw denied;
    }, 10_000, 'describing')).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up with the last coordinator error when the budget is spent', async () => {
    let calls = 0;
    const started = Date.now();
    const err = await whileCoordinatorStarts(async () => {
      calls++;
      throw afterRetries(14);
    }, 1_000, 'describing').catch((e: unknown) => e);
    expect(coordinatorStarting(err)).toBe(true);
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

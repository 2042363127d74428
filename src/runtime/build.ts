/** Instantiates a pipeline's filter steps (shared by `run`, `process`, `test` and `validate`). */
import type { ComponentContext } from '../core/component.js';
import type { PipelineDefinition } from '../config/load.js';
import type { ChainStep } from './processor.js';

export async function buildFilters(def: PipelineDefinition, ctx: ComponentContext): Promise<{ steps: ChainStep[]; close: () => Promise<void> }> {
  const steps: ChainStep[] = [];
  let joining: string | undefined;
  for (const step of def.filters) {
    try {
      const filter = await step.spec.create(step.config, { ...ctx, logger: ctx.logger.child({ filter: step.label }) });
      // One joining step (multiline) per chain: joined events have one place to come out from.
      if (filter.joiner && joining) throw new Error(`only one multiline (joining) filter per pipeline; ${joining} is one already`);
      if (filter.joiner) joining = step.label;
      steps.push({ label: step.label, filter, when: step.when, timeoutTag: step.spec.timeoutTag });
    } catch (err) {
      throw new Error(`${step.position}: ${(err as Error).message}`);
    }
  }
  return {
    steps,
    close: async () => {
      for (const s of steps) await s.filter.close?.();
    },
  };
}

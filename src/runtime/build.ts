/** Instantiates a pipeline's filter steps (shared by `run`, `process`, `test` and `validate`). */
import type { ComponentContext, Filter } from '../core/component.js';
import { isConditional, type PipelineDefinition, type PipelineStep } from '../config/load.js';
import type { ChainStep } from './processor.js';

export async function buildFilters(def: PipelineDefinition, ctx: ComponentContext): Promise<{ steps: ChainStep[]; close: () => Promise<void> }> {
  const filters: Filter[] = [];
  const build = async (list: PipelineStep[]): Promise<ChainStep[]> => {
    const steps: ChainStep[] = [];
    for (const step of list) {
      if (isConditional(step)) {
        const branches = [];
        for (const b of step.branches) branches.push({ when: b.when, steps: await build(b.steps) });
        steps.push({ label: step.label, branches, otherwise: await build(step.otherwise) });
        continue;
      }
      try {
        const filter = await step.spec.create(step.config, { ...ctx, logger: ctx.logger.child({ filter: step.label }) });
        filters.push(filter);
        steps.push({ label: step.label, filter, when: step.when, timeoutTag: step.spec.timeoutTag });
      } catch (err) {
        throw new Error(`${step.position}: ${(err as Error).message}`);
      }
    }
    return steps;
  };
  const steps = await build(def.filters);
  return {
    steps,
    close: async () => {
      for (const f of filters) await f.close?.();
    },
  };
}

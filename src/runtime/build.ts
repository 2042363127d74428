/** Instantiates a pipeline's filter steps (shared by `run`, `process`, `test` and `validate`). */
import type { ComponentContext, Filter } from '../core/component.js';
import { isConditional, type PipelineDefinition, type PipelineStep } from '../config/load.js';
import type { ChainStep } from './processor.js';

export async function buildFilters(def: PipelineDefinition, ctx: ComponentContext): Promise<{ steps: ChainStep[]; close: () => Promise<void> }> {
  const filters: Filter[] = [];
  // Checked here as well as in the processor so `sluice validate` reports them at the filter's position.
  let joining: string | undefined;
  let waiting: string | undefined;
  const build = async (list: PipelineStep[], inBlock = false): Promise<ChainStep[]> => {
    const steps: ChainStep[] = [];
    for (const step of list) {
      if (isConditional(step)) {
        const branches = [];
        for (const b of step.branches) branches.push({ when: b.when, steps: await build(b.steps, true) });
        steps.push({ label: step.label, branches, otherwise: await build(step.otherwise, true) });
        continue;
      }
      try {
        const filter = await step.spec.create(step.config, { ...ctx, logger: ctx.logger.child({ filter: step.label }) });
        filters.push(filter);
        // One joining step (multiline) per chain, at its top level: joined events have one place to come out from.
        if (filter.joiner && joining) throw new Error(`only one multiline (joining) filter per pipeline; ${joining} is one already`);
        if (filter.joiner && inBlock) throw new Error('a multiline (joining) filter cannot be inside a conditional block; give it a `when` instead');
        if (filter.joiner) joining = step.label;
        if (filter.mayWait) waiting ??= step.label;
        if (joining && waiting) throw new Error(`a filter that waits for answers (dns, ${waiting}) cannot share a pipeline with a multiline (joining) filter (${joining})`);
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

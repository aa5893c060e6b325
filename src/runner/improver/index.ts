export { createLlmImprover, type LlmImproverOptions } from './llm-improver.ts';
export { parsePlan, planSchema, type Plan } from './plan.ts';

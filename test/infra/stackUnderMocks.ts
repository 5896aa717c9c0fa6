import * as pulumi from '@pulumi/pulumi';
import { type RecordedResource, startMockRuntime } from '../../tools/infra/mockRuntime.ts';

/** The program run once under mocks: every registered resource and the resolved stack outputs. */
export interface StackRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Resources of one type token, e.g. `aws:sqs/queue:Queue`. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this type and logical name; throws when absent. */
  get(type: string, name: string): RecordedResource;
}

/**
 * Installs the mocks with `config`, imports the program (once per test file: Pulumi's runtime is process-global),
 * builds the stack and waits for every registration.
 */
export async function runStack(config: Record<string, unknown> = {}): Promise<StackRun> {
  const runtime = await startMockRuntime(config);
  const { createStack } = await import('../../infra/stack.ts');
  const stack = createStack();
  const outputs = await new Promise<Record<string, unknown>>((resolve) => {
    pulumi.all(stack as unknown as Record<string, pulumi.Input<unknown>>).apply((values) => resolve(values));
  });
  await runtime.settle();
  const resources = runtime.resources;
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    get: (type, name) => {
      const found = resources.find((r) => r.type === type && r.name === name);
      if (!found) throw new Error(`no ${type} named ${name}`);
      return found;
    },
  };
}

/** Parses a JSON string input (policies, container definitions). */
export function parseJson<T = Record<string, unknown>>(value: unknown): T {
  return JSON.parse(String(value)) as T;
}

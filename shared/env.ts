import type { z } from 'zod';
import { z as zod } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.ts';

/** A documented environment variable: its schema (with default) and one line of documentation. */
export interface EnvVariable {
  schema: z.ZodType;
  doc: string;
}

/**
 * Parses the variables named in `vars` from `env`. Empty strings count as unset, values are trimmed.
 * @throws ConfigError listing every problem at once, each naming its variable and the value it got.
 */
export function parseEnv<V extends Record<string, EnvVariable>>(
  vars: V,
  env: Record<string, string | undefined>,
): { [K in keyof V]: z.output<V[K]['schema']> } {
  const input: Record<string, string> = {};
  for (const name of Object.keys(vars)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') input[name] = value.trim();
  }
  const schema = zod.object(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.schema])));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(config)');
      return { variable, message: `${issue.message} (got ${JSON.stringify(input[variable])})` };
    });
    throw new ConfigError(issues);
  }
  return parsed.data as { [K in keyof V]: z.output<V[K]['schema']> };
}

/** The documentation of each variable with its default, for `--help`. */
export function describeEnv(vars: Record<string, EnvVariable>): string {
  return Object.entries(vars)
    .map(([name, v]) => {
      const def = v.schema.safeParse(undefined);
      const shown = def.success && def.data !== undefined ? String(def.data) : '(unset)';
      return `  ${name.padEnd(28)} ${v.doc} [default: ${shown}]`;
    })
    .join('\n');
}

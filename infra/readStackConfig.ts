import * as pulumi from '@pulumi/pulumi';
import { ConfigError, type ConfigIssue } from '../shared/errors.ts';
import { parseStackConfig } from './stackConfigChecks.ts';
import { STACK_CONFIG, type StackConfig, type StackConfigKey } from './stackConfigSchema.ts';

/**
 * Reads every key of {@link STACK_CONFIG} from the stack's config with the getter of its declared type, then
 * validates them all at once.
 * @param config the project's config bag (default: `new pulumi.Config()`)
 * @throws ConfigError listing every problem, each naming its key.
 */
export function readStackConfig(config: pulumi.Config = new pulumi.Config()): StackConfig {
  const raw: Partial<Record<StackConfigKey, unknown>> = {};
  const issues: ConfigIssue[] = [];
  for (const [key, entry] of Object.entries(STACK_CONFIG) as Array<[StackConfigKey, { type: string }]>) {
    try {
      raw[key] = readKey(config, key, entry.type);
    } catch (error) {
      // Pulumi's typed getters throw on a value of the wrong type; collect them so every problem shows at once.
      issues.push({ variable: key, message: error instanceof Error ? error.message : String(error) });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return parseStackConfig(raw);
}

function readKey(config: pulumi.Config, key: string, type: string): unknown {
  switch (type) {
    case 'integer':
      return config.getNumber(key);
    case 'boolean':
      return config.getBoolean(key);
    case 'array':
      return config.getObject<unknown>(key);
    default:
      return config.get(key);
  }
}

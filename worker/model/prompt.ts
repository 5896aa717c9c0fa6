import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analysisVersion } from '../../shared/catalogue.ts';
import type { Config } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';

/** The default catalogue prompt, a versioned file: a change to it gives a new analysis version. */
export const DEFAULT_PROMPT_FILE = fileURLToPath(new URL('../../shared/prompts/catalogue.v1.md', import.meta.url));

export interface LoadedPrompt {
  text: string;
  file: string;
  analysisVersion: string;
}

/** Reads the prompt (PROMPT_FILE or the default) and derives the analysis version from model, prompt and schema. */
export function loadPrompt(config: Pick<Config, 'model' | 'image'>): LoadedPrompt {
  const file = config.model.promptFile ?? DEFAULT_PROMPT_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError([{ variable: 'PROMPT_FILE', message: `cannot read ${file}: ${(error as Error).message}` }]);
  }
  if (!text) throw new ConfigError([{ variable: 'PROMPT_FILE', message: `${file} is empty` }]);
  return {
    text,
    file,
    analysisVersion: analysisVersion({
      modelId: config.model.id,
      prompt: text,
      categories: config.model.categories,
      maxEdge: config.image.maxEdge,
    }),
  };
}

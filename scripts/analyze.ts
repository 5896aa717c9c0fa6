import { EXIT, parseCommandLine, runMain } from '../shared/cli.ts';
import { loadConfig } from '../shared/config.ts';
import { createLogger } from '../shared/logger.ts';
import { checkModelAtStartup, createClients, destroyClients, loadPrompt } from '../worker/index.ts';
import { analyzeObject } from './analyze/analyzeObject.ts';

const HELP = `Usage: npm run analyze -- s3://bucket/key [--prompt "..."] [--json]

Describes one image in S3 with the configured model and prints the answer: by default the catalogue entry (summary,
category, labelled objects with boxes, sensitive verdict and reason, visible text); with --prompt, the model's
answer to your own question about the image. Nothing is written to the catalogue.
Against the local stand-ins (npm start), point it at them with the variables npm start prints.

Options:
  --prompt TEXT   ask this instead of the catalogue prompt
  --json          print JSON only

Exit codes: 0 ok, 1 failure (missing object, not an image, model error), 2 bad arguments, 3 bad configuration
(a MODEL_ID that cannot be used is one: the message says why and what to set).`;

runMain(async () => {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    { prompt: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
  );
  if (positionals.length !== 1) {
    process.stderr.write(`expected one s3://bucket/key\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const clients = createClients(config);
  try {
    const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'analyze' });
    // Exit 3 with what is wrong and what to do, before reading the image, when the model cannot be used.
    await checkModelAtStartup(config, clients.bedrock, logger, loadPrompt(config).text);
    const result = await analyzeObject(positionals[0]!, { prompt: values.prompt, config, clients });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else if (result.kind === 'text') {
      process.stdout.write(
        `${result.text}\n\n(tokens: ${result.usage.inputTokens} in, ${result.usage.outputTokens} out)\n`,
      );
    } else {
      const d = result.description;
      const lines = [
        `Summary:   ${d.summary}`,
        `Category:  ${d.category}`,
        `Sensitive: ${d.sensitive.verdict} (${d.sensitive.reason})`,
        `Text:      ${d.text || '(none)'}`,
        'Labels:',
        ...d.labels.map(
          (l) =>
            `  - ${l.name} at left ${l.box.left.toFixed(2)}, top ${l.box.top.toFixed(2)}, ${l.box.width.toFixed(2)} × ${l.box.height.toFixed(2)}`,
        ),
        `(model ${config.model.id}; tokens: ${result.usage.inputTokens} in, ${result.usage.outputTokens} out)`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT.ok;
  } finally {
    destroyClients(clients);
  }
});

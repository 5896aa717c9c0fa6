import { ModelConfigurationError, type ModelFaultKind } from './errors.ts';
import { profileIdOf, type ResolvedModel, resolveModel, rowByKey, type UsabilityProblem } from './models.ts';

/**
 * One sentence per configuration fault: what is wrong with MODEL_ID and what to do. Used for the start-up check's
 * exit-3 message and the worker's single "paused" error line. Never includes the service's raw text (it can hold the
 * account id and the role ARN).
 */
export function describeModelFault(kind: ModelFaultKind, modelId: string, detail: Partial<FaultDetail> = {}): string {
  const model = resolveModel(modelId);
  const name = model.row ? `${model.row.name} (${modelId})` : modelId;
  const replacement = detail.replacement ?? replacementOf(model);
  const use = replacement ? ` Set MODEL_ID to ${replacement}, or another active model (docs/models.md).` : '';
  switch (kind) {
    case 'end-of-life':
      return `MODEL_ID ${name} has reached the end of its life on Amazon Bedrock${
        detail.date ? ` (since ${detail.date})` : ''
      }: every call answers ResourceNotFoundException.${use}`;
    case 'access-denied':
      return `Access to MODEL_ID ${name} is denied: enable the model in the Bedrock console (Model access) for this account and region, and allow bedrock:InvokeModel on the model and its inference profile in the worker's IAM role.`;
    case 'not-found':
      return `MODEL_ID ${name} was not found in this region (ResourceNotFoundException).${use || ' Check the id and AWS_REGION.'}`;
    case 'profile-required':
      return `MODEL_ID ${name} cannot be invoked by its bare id on demand: use an inference profile such as ${
        detail.profileId ?? (model.row ? profileIdOf(model.row) : `us.${modelId}`)
      }.`;
    case 'profile-not-offered':
      return `MODEL_ID ${name} names an inference profile this model does not have; it is offered as ${
        model.row?.profiles.map((p) => `${p}.`).join(', ') ?? 'other profiles'
      } (docs/models.md).`;
    case 'unknown-model':
      return `MODEL_ID ${name} is not a model identifier Bedrock knows in this region.${use || ' Check the id and AWS_REGION (docs/models.md lists the current ones).'}`;
    case 'parameter-refused':
      return `MODEL_ID ${name} refused the request's parameters${detail.parameter ? ` (${detail.parameter})` : ''}: the model table (shared/modelTable.ts) does not match this model; set MODEL_ID to a model it lists, or correct its row.`;
    case 'no-credentials':
      return `No AWS credentials to call MODEL_ID ${name}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with a role.`;
  }
}

interface FaultDetail {
  date: string;
  replacement: string;
  profileId: string;
  parameter: string;
}

function replacementOf(model: ResolvedModel): string | undefined {
  const key = model.row?.replacement;
  return key ? profileIdOf(rowByKey(key)) : undefined;
}

/** The configuration error for a problem the model table tells before any call. */
export function faultFromTable(modelId: string, problem: UsabilityProblem): ModelConfigurationError {
  switch (problem.kind) {
    case 'end-of-life':
      return new ModelConfigurationError(
        'end-of-life',
        modelId,
        describeModelFault('end-of-life', modelId, { date: problem.date, replacement: problem.replacement }),
      );
    case 'profile-required':
      return new ModelConfigurationError(
        'profile-required',
        modelId,
        describeModelFault('profile-required', modelId, { profileId: problem.profileId }),
      );
    case 'profile-not-offered':
      return new ModelConfigurationError(
        'profile-not-offered',
        modelId,
        describeModelFault('profile-not-offered', modelId),
      );
  }
}

/** Removes what must never be stored or shown: ARNs and 12-digit account ids. */
export function redactAwsIdentifiers(text: string): string {
  return text.replace(/arn:aws[a-z-]*:[^\s"',;)]*/gi, '[arn]').replace(/\b\d{12}\b/g, '[account]');
}

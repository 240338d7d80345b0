// Describes a YAML parse error without quoting the source text, which may hold a secret.
import type { YAMLError } from 'yaml';

// Codes whose `yaml` message can quote part of the offending line.
const SAFE_MESSAGE_FOR_CODE: Partial<Record<YAMLError['code'], string>> = {
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  TAG_RESOLVE_FAILED: 'unknown tag',
  BAD_COLLECTION_TYPE: 'tag does not match the collection type',
};

export function describeYamlError(error: YAMLError): string {
  if (error.code === 'DUPLICATE_KEY') return 'duplicate key';
  return `invalid YAML: ${SAFE_MESSAGE_FOR_CODE[error.code] ?? safeMessage(error.message)}`;
}

function safeMessage(message: string): string {
  if (message.startsWith('Block scalar header')) return 'a block scalar header (| or >) has extra characters';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

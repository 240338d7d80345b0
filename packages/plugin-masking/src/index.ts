// @sluice/plugin-masking: masks sensitive values in results before they leave Sluice.
import { definePlugin } from '@sluice/core';
import { optionsSchema, type ParsedOptions } from './options.js';
import { createMaskingPlugin } from './plugin.js';

const factory = definePlugin<ParsedOptions>((options) => createMaskingPlugin(options));
factory.optionsSchema = optionsSchema;

export default factory;
export { createMaskingPlugin, PLUGIN_NAME } from './plugin.js';
export { maskText, type MaskTextOptions } from './mask-text.js';
export { findSensitive, RECOGNIZERS, type Finding } from './recognizers/index.js';
export { classifyColumnName, type NameClass } from './column-names.js';
export { classifyColumnType, type TypeClass } from './column-types.js';
export { DEFAULT_OPTIONS, optionsSchema, type MaskingOptions } from './options.js';
export { DEFAULT_STRATEGIES, SENSITIVE_TYPES, STRATEGIES, type SensitiveType, type Strategy } from './sensitive-types.js';

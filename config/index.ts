export { loadConfig, REPO_ROOT, type LoadConfigParameters } from './load.ts';
export { redactConfig, redactRpcUrl, redactUrl } from './redact.ts';
export { configSchema, type OraculConfig, type TopicConfig, type ConfigInput } from './schema.ts';
export { envLeaves, NON_CONFIG_ENV_VARIABLES, HARNESS_ENV_PREFIXES } from './env.ts';

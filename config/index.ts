export { loadConfig, REPO_ROOT, type LoadConfigParameters } from './load.ts';
export { redactConfig, redactUrl } from './redact.ts';
export { configSchema, type OraculConfig, type TopicConfig, type ConfigInput } from './schema.ts';
export { envLeaves } from './env.ts';

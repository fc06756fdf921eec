// Public surface of gateway/: explicit re-exports only.
export { startGateway, type Gateway, type StartGatewayParameters } from './server.ts';
export { buildSchema } from './schema/index.ts';
export type { GatewayContext } from './builder.ts';
export { sha256Hex, ApiKeys, type Principal, type Role } from './auth.ts';
export { GATEWAY_ERROR_CODES, type GatewayErrorCode, GatewayUpstreamError, GatewayStartError } from './errors.ts';
export { SQL } from './sql.ts';

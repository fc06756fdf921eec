export {
  startWarehouseServer,
  warehouseServerParameters,
  type StartWarehouseServerParameters,
  type WarehouseServer,
} from './server.ts';
export { openEngine, type Engine, type EngineStatement, type EngineStats } from './engine.ts';
export { usersFromConfig, type UserEntry, type WarehouseUser } from './auth.ts';
export { WarehouseError } from './errors.ts';
export { SERVER_DEFAULT_SETTINGS } from './settings.ts';

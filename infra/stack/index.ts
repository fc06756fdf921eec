/** Local stack supervisor: `oracul stack up|down|status`, also used by the integration test harness. */
export { stackUp, stackDown, stackStatus } from './stack-lifecycle.ts';
export type {
  StackOptions,
  ComponentUpResult,
  ComponentDownResult,
  ComponentStatus,
  HealthState,
  UpAction,
} from './stack-lifecycle.ts';
export { parseComponentNames } from './components.ts';
export { formatStatusTable, formatUpTable } from './status-table.ts';
export { stackPaths, type StackPaths } from './paths.ts';
export { COMPONENT_NAMES, type ComponentName } from './types.ts';

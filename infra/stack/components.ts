import type { OraculConfig } from '../../config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import { createKafkaComponent } from './kafka-component.ts';
import type { StackPaths } from './paths.ts';
import { createRegistryComponent } from './registry-component.ts';
import { COMPONENT_NAMES, type ComponentName, type StackComponent } from './types.ts';
import { createWarehouseComponent } from './warehouse-component.ts';

const FACTORIES: Record<ComponentName, (config: OraculConfig, paths: StackPaths) => StackComponent> = {
  kafka: createKafkaComponent,
  registry: createRegistryComponent,
  warehouse: createWarehouseComponent,
};

export interface SelectedComponent {
  readonly component: StackComponent;
  /** Named by the caller (--only), not just enabled by config: unavailability is then an error. */
  readonly explicit: boolean;
}

export function parseComponentNames(text: string): ComponentName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(COMPONENT_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`unknown stack component ${JSON.stringify(name)}; expected one of ${COMPONENT_NAMES.join(', ')}`);
    }
  }
  return names as ComponentName[];
}

/**
 * The components to act on, in start order. Without a selection: every one
 * enabled in config.stack. A selected component disabled in config is a
 * config error rather than a silent no-op.
 */
export function selectComponents(
  config: OraculConfig,
  paths: StackPaths,
  requested?: readonly ComponentName[],
  /** `down` stops what runs even if it was disabled since. */
  includeDisabled = false,
): SelectedComponent[] {
  const wanted = requested && requested.length > 0 ? new Set(requested) : undefined;
  const selected: SelectedComponent[] = [];
  for (const name of COMPONENT_NAMES) {
    const enabled = includeDisabled || config.stack[name].enabled;
    if (wanted && !wanted.has(name)) continue;
    if (!enabled) {
      if (wanted) throw new ConfigError(`stack component ${name} is disabled (stack.${name}.enabled=false)`);
      continue;
    }
    selected.push({ component: FACTORIES[name](config, paths), explicit: wanted !== undefined });
  }
  return selected;
}

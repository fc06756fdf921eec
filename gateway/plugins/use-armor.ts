import { EnvelopArmor } from '@escape.tech/graphql-armor';
import type { Plugin } from 'graphql-yoga';
import type { OraculConfig } from '../../config/schema.ts';

/**
 * GraphQL Armor's limits (depth, cost, aliases, tokens, directives) with the limits in their messages, and no
 * field suggestions when introspection is off.
 */
export function useArmor(gw: OraculConfig['gateway'], introspection: boolean): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: gw.maxDepth, exposeLimits: true, ignoreIntrospection: true },
    costLimit: { maxCost: gw.maxCost, exposeLimits: true, ignoreIntrospection: true },
    maxAliases: { n: gw.maxAliases, exposeLimits: true },
    maxTokens: { n: gw.maxTokens, exposeLimits: true },
    maxDirectives: { n: 20, exposeLimits: true },
    blockFieldSuggestion: { enabled: !introspection },
  });
  return armor.protect().plugins as Plugin[];
}

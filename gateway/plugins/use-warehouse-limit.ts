import type { Plugin } from 'graphql-yoga';
import { warehouseQueriesRule } from '../limits.ts';

/** Refuses, before anything runs, an operation that would send more than `maxQueries` warehouse queries. */
export function useWarehouseLimit(maxQueries: number): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(warehouseQueriesRule(maxQueries));
    },
  };
}

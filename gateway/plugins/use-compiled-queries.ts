import {
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLError,
  type OperationDefinitionNode,
  type Source,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
// Errors from the graphql copy Yoga uses (the test runner may load graphql's ESM build for this file).
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** A document's compiled operations by name ('' = the only one); `false`: not compilable, graphql-js runs it. */
type Compiled = Map<string, CompiledQuery | false>;

/**
 * Queries run as code compiled once per document (graphql-jit) instead of graphql-js's interpreter: a 90-row
 * day-range answer's field completion cost ~0.55 ms with graphql-js and ~0.2 ms compiled (docs/adr/0020). Only the
 * execution changes: parsing, validation (Armor, the warehouse budget rule), the context, error masking and codes
 * are Yoga's and the other plugins', around it. Subscriptions and anything graphql-jit cannot compile run as before.
 * Documents come from Yoga's parse cache (one object per query text), so the compiled code is kept per document
 * object and dropped with it.
 */
export function useCompiledQueries(): Plugin {
  const byDocument = new WeakMap<DocumentNode, Compiled>();
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const compiled = compiledFor(byDocument, args);
      if (!compiled) return;
      setExecuteFn(async (run: ExecutionArgs) => {
        const result = await compiled.query(run.rootValue, run.contextValue, run.variableValues ?? {});
        if (!result.errors?.length) return result;
        // The operation did not start (its variables did not coerce): graphql-js says why, in its own words.
        if (result.data === undefined) return executeFn(run);
        return { ...result, errors: result.errors.map((e) => asGraphqlJsError(e, run.document.loc?.source)) };
      });
    },
  };
}

/**
 * graphql-jit's field errors as graphql-js builds them: the same message, path, original error and extensions (an
 * empty object when there are none, as graphql-js), and the locations rebuilt from the document's source, so masking,
 * error codes and serialisation treat them exactly as before.
 */
function asGraphqlJsError(error: GraphQLError, source: Source | undefined): GraphQLError {
  const positions = source && error.locations?.map(({ line, column }) => offsetOf(source.body, line, column));
  return createGraphQLError(error.message, {
    ...(positions ? { source, positions } : {}),
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions ?? {},
  });
}

/** The character offset of a 1-based line and column in `body` (line ends as graphql-js counts them). */
function offsetOf(body: string, line: number, column: number): number {
  const lineEnd = /\r\n|[\n\r]/g;
  let lineStart = 0;
  for (let l = 1; l < line && lineEnd.exec(body); l++) lineStart = lineEnd.lastIndex;
  return lineStart + column - 1;
}

function compiledFor(byDocument: WeakMap<DocumentNode, Compiled>, args: ExecutionArgs): CompiledQuery | undefined {
  const name = args.operationName ?? '';
  let compiled = byDocument.get(args.document);
  if (!compiled) byDocument.set(args.document, (compiled = new Map()));
  let entry = compiled.get(name);
  if (entry === undefined) {
    entry = compileOperation(args);
    compiled.set(name, entry);
  }
  return entry || undefined;
}

function compileOperation(args: ExecutionArgs): CompiledQuery | false {
  if (operationOf(args.document, args.operationName)?.operation !== 'query') return false;
  // customJSONSerializer off: results keep JSON.stringify, so errors (codes, masked messages) serialise as before.
  const result = compileQuery(args.schema, args.document, args.operationName ?? undefined, { customJSONSerializer: false });
  return isCompiledQuery(result) ? result : false;
}

function operationOf(document: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return name ? operations.find((o) => o.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
}

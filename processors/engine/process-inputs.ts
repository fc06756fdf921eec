import type { InputRecord, Processor, ProcessorContext, ProcessResult } from './processor.ts';
import type { KeyValueView, StateChange, StateView, StoreValues } from './state.ts';
import { StateTxn } from './stateTxn.ts';

/**
 * Runs records through a processor as one all-or-nothing unit, as the runtime (one Kafka record's inputs) and the test
 * driver's `pipeBatch` do: one `processBatch` call when the processor has it, otherwise `process` per record over a
 * transaction holding the earlier records' changes. Either way the result is what sequential `process` calls give.
 */
export function processInputs<S extends StoreValues, In, Out>(
  processor: Processor<S, In, Out>,
  state: StateView<S>,
  records: readonly InputRecord<In>[],
  ctx: ProcessorContext,
): ProcessResult<S, Out> {
  if (records.length === 1) return processor.process(state, records[0] as InputRecord<In>, ctx);
  if (processor.processBatch !== undefined) return processor.processBatch(state, records, ctx);
  const txn = new StateTxn<S, Out>(state);
  const view = viewOver(txn, Object.keys(processor.stores));
  for (const record of records) {
    const result = processor.process(view, record, ctx);
    applyTo(txn, result.stateChanges);
    for (const output of result.outputs) txn.emit(output.topic, output.key, output.value);
  }
  return txn.result();
}

/** A transaction's pending writes layered over its state, as a processor's view. */
function viewOver<S extends StoreValues>(txn: StateTxn<S, unknown>, stores: readonly string[]): StateView<S> {
  const view: Record<string, KeyValueView<unknown>> = {};
  for (const store of stores) {
    view[store] = {
      get: (key) => txn.get(store as keyof S & string, key),
      range: (range) => txn.range(store as keyof S & string, range),
    };
  }
  return view as StateView<S>;
}

function applyTo<S extends StoreValues>(txn: StateTxn<S, unknown>, changes: readonly StateChange<S>[]): void {
  for (const change of changes) {
    if (change.op === 'put') txn.put(change.store, change.key, change.value);
    else if (change.op === 'delete') txn.delete(change.store, change.key);
    else txn.deleteRange(change.store, change.gte, change.lt);
  }
}

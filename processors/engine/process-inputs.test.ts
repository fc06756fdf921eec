import { describe, expect, it } from 'vitest';
import { numberCodec } from './state.ts';
import type { Processor } from './processor.ts';
import { createTestDriver } from './testDriver.ts';

/** Counts records per key and emits the running count: each record reads what the one before it wrote. */
function counter(): Processor<{ counts: number }, string, number> {
  return {
    name: 'counter',
    stores: { counts: { codec: numberCodec('counts'), doc: 'records per key' } },
    outputTopics: ['counts'],
    process(state, record) {
      if (record.value === 'boom') throw new Error('bad record');
      const next = (state.counts.get(record.value) ?? 0) + 1;
      return {
        stateChanges: [{ store: 'counts', op: 'put', key: record.value, value: next }],
        outputs: [{ topic: 'counts', key: record.value, value: next }],
      };
    },
  };
}

describe('processInputs (a processor without processBatch)', () => {
  it('gives what record-by-record calls give: each record sees the earlier ones', () => {
    const batch = createTestDriver(counter());
    const single = createTestDriver(counter());
    const values = ['a', 'b', 'a', 'a', 'c', 'b'];
    const outputs = batch.pipeBatch(values);
    for (const v of values) single.pipe(v);
    expect(outputs.map((o) => `${o.key}=${o.value}`)).toEqual(['a=1', 'b=1', 'a=2', 'a=3', 'c=1', 'b=2']);
    expect(batch.store('counts').entries()).toEqual(single.store('counts').entries());
  });

  it('is all-or-nothing: a record that throws leaves no change of the records before it', () => {
    const driver = createTestDriver(counter());
    driver.pipe('a');
    expect(() => driver.pipeBatch(['a', 'b', 'boom'])).toThrow('bad record');
    expect(driver.store('counts').entries()).toEqual([['a', 1]]);
  });
});

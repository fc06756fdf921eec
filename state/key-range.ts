import type { KeyRange } from './types.ts';

/** Whether `key` lies inside `range`'s bounds (its order and limit are the scan's business, not this test's). */
export function inKeyRange(key: string, range: KeyRange): boolean {
  return (
    (range.gte === undefined || key >= range.gte) &&
    (range.gt === undefined || key > range.gt) &&
    (range.lte === undefined || key <= range.lte) &&
    (range.lt === undefined || key < range.lt)
  );
}

import { LRUCache } from 'lru-cache';

/** Statement texts remembered per memo, and the longest one remembered. */
const MEMO_ENTRIES = 256;
const MEMO_TEXT_CHARS = 16_384;

/**
 * `compute` remembered for the last statement texts of up to 16 KiB. Applications send the same few statements again
 * and again with their values in query parameters (the gateway's reads), so a repeat skips the scan. The results
 * are shared: callers must not change them.
 */
export function memoizeByText<T extends object>(compute: (text: string) => T): (text: string) => T {
  const memo = new LRUCache<string, T>({ max: MEMO_ENTRIES });
  return (text) => {
    if (text.length > MEMO_TEXT_CHARS) return compute(text);
    let result = memo.get(text);
    if (result === undefined) {
      result = compute(text);
      memo.set(text, result);
    }
    return result;
  };
}

import type { Entry, KeyValueView } from './state.ts';
import {
  KEY_SEPARATOR,
  WINDOW_START_HEX_DIGITS,
  assertLogicalKey,
  encodeWindowKey,
  windowRange,
  windowsBetween,
} from './windowKey.ts';

/**
 * Read view of a window store (Kafka Streams' ReadOnlyWindowStore), over a key-value store laid out by
 * windowKey.ts. Only the (window, key) entries are visible, not their `|sub` detail rows.
 */
export interface WindowView<V> {
  /** The value of `key` in the window starting at `windowStartMs`. */
  fetch(key: string, windowStartMs: number): V | undefined;
  /** Every key of one window, in key order. */
  fetchWindow(windowStartMs: number): Iterable<Entry<V>>;
  /** One key's values in windows starting in [fromMs, toMs), oldest first, as [windowStartMs, value]. */
  fetchRange(key: string, fromMs: number, toMs: number, windowSizeMs: number): Iterable<readonly [number, V]>;
}

/** Wraps a key-value view as a window view. @example windowView(state.windows).fetch('1:0xa0b8…', day) */
export function windowView<V>(store: KeyValueView<V>): WindowView<V> {
  return {
    fetch(key, windowStartMs) {
      assertLogicalKey(key);
      return store.get(encodeWindowKey(windowStartMs, key));
    },
    *fetchWindow(windowStartMs) {
      const prefixLength = WINDOW_START_HEX_DIGITS + 1;
      for (const [physical, value] of store.range(windowRange(windowStartMs))) {
        const key = physical.slice(prefixLength);
        if (!key.includes(KEY_SEPARATOR)) yield [key, value];
      }
    },
    *fetchRange(key, fromMs, toMs, windowSizeMs) {
      assertLogicalKey(key);
      const { lt } = windowsBetween(fromMs, toMs);
      // Time-first layout: one point read per window in the range (windows are few; days, not seconds).
      for (let ws = fromMs; encodeWindowKey(ws, key) < lt; ws += windowSizeMs) {
        const value = store.get(encodeWindowKey(ws, key));
        if (value !== undefined) yield [ws, value];
      }
    },
  };
}

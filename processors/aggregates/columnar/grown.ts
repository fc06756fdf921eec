/** A copy of `array` at twice its length, the rest zero: how the columnar tables grow their int32 stores. */
export function grown(array: Int32Array): Int32Array<ArrayBuffer> {
  const copy = new Int32Array(array.length * 2);
  copy.set(array);
  return copy;
}

/**
 * A JSON number's source text (exactly as the API sent it, e.g. "3012.34", "1.2e-7") as a plain
 * decimal string ("0.00000012"). No float ever touches the value.
 * @throws TypeError when the text is not a finite JSON number
 */
export function jsonNumberToDecimal(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) throw new TypeError(`not a JSON number: ${JSON.stringify(text)}`);
  const sign = m[1]!;
  let digits = m[2]! + (m[3] ?? '');
  let point = m[2]!.length + Number(m[4] ?? '0');
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  let int = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(point).replace(/0+$/, '');
  if (int === '') int = '0';
  const out = frac ? `${int}.${frac}` : int;
  return sign && /[1-9]/.test(out) ? `-${out}` : out;
}

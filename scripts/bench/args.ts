/** Command-line options of the benchmark scripts: `--name value`, read from process.argv. */

/** `--name <number>`, or `fallback` when absent or not a finite number. */
export function numberArg(name: string, fallback: number): number {
  const text = textArg(name);
  const value = text === undefined ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : fallback;
}

/** `--name <text>`, or undefined when absent. */
export function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

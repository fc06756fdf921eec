import type { ComponentStatus, ComponentUpResult } from './stack-lifecycle.ts';

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `oracul stack status`; --json prints the rows themselves. */
export function formatStatusTable(rows: readonly ComponentStatus[]): string {
  return formatTable(
    ['COMPONENT', 'VERSION', 'PORT', 'PID', 'HEALTH', 'DETAIL'],
    rows.map((r) => [r.component, r.version, `${r.host}:${r.port}`, pidText(r.pid), r.health, r.detail]),
  );
}

/** `oracul stack up`: what each component needed, from the results (no second round of probes). */
export function formatUpTable(rows: readonly ComponentUpResult[]): string {
  return formatTable(
    ['COMPONENT', 'VERSION', 'PORT', 'PID', 'ACTION', 'TOOK', 'DETAIL'],
    rows.map((r) => [
      r.component,
      r.version,
      `${r.host}:${r.port}`,
      pidText(r.pid),
      r.action,
      `${(r.duration_ms / 1000).toFixed(1)} s`,
      r.detail,
    ]),
  );
}

function pidText(pid: number | null): string {
  return pid === null ? '-' : String(pid);
}

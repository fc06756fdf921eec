/**
 * Loading the NAB corpus: data series, anomaly windows (as row indices) and
 * cost profiles, validated at the boundary. Windows are matched to rows by
 * exact timestamp, as NAB does (`combined_windows.json` carries a ".000000"
 * fraction the data files do not, so both sides are normalised first).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { columnIndex, parseCsv, parseNumber } from './csv.ts';
import { NabDataError } from './errors.ts';

export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** A NAB cost matrix (tnWeight exists in the file but NAB never uses it). */
export interface CostProfile {
  readonly name: ProfileName;
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** Inclusive row-index bounds of one anomaly window. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

export interface NabSeries {
  /** "category/file.csv", the key used by NAB's label files. */
  readonly key: string;
  readonly category: string;
  /** File name without ".csv". */
  readonly name: string;
  readonly timestamps: readonly string[];
  readonly values: readonly number[];
  readonly windows: readonly WindowBounds[];
}

export interface NabCorpus {
  readonly root: string;
  readonly series: readonly NabSeries[];
  /** Entries of combined_windows.json: NAB's "perfect" score is tpWeight times this. */
  readonly windowCount: number;
}

const windowsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));
const costMatrixSchema = z.object({
  tpWeight: z.number(),
  fpWeight: z.number(),
  fnWeight: z.number(),
  tnWeight: z.number().optional(),
});
const profilesSchema = z.record(z.string(), z.object({ CostMatrix: costMatrixSchema }));

/** "2014-04-10 07:15:00.000000" and "2014-04-10 07:15:00" denote the same row. */
export function normalizeTimestamp(ts: string): string {
  return ts.trim().replace(/\.0+$/, '');
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new NabDataError(`cannot read JSON ${path}`, { path, cause: String(error) });
  }
}

export async function loadProfiles(root: string): Promise<readonly CostProfile[]> {
  const parsed = profilesSchema.safeParse(await readJson(join(root, 'config', 'profiles.json')));
  if (!parsed.success) throw new NabDataError(`config/profiles.json: ${parsed.error.message}`);
  return PROFILE_NAMES.map((name) => {
    const entry = parsed.data[name];
    if (entry === undefined) throw new NabDataError(`config/profiles.json has no profile "${name}"`);
    const { tpWeight, fpWeight, fnWeight } = entry.CostMatrix;
    return { name, tpWeight, fpWeight, fnWeight };
  });
}

/** Reads one data file (`timestamp,value`). */
export async function loadSeriesValues(path: string): Promise<{ timestamps: string[]; values: number[] }> {
  const table = parseCsv(await readFile(path, 'utf8'), path);
  const ti = columnIndex(table, 'timestamp', path);
  const vi = columnIndex(table, 'value', path);
  return {
    timestamps: table.rows.map((r) => normalizeTimestamp(r[ti] as string)),
    values: table.rows.map((r) => parseNumber(r[vi], path)),
  };
}

export function windowsToBounds(
  key: string,
  timestamps: readonly string[],
  windows: readonly (readonly [string, string])[],
): WindowBounds[] {
  const index = new Map(timestamps.map((t, i) => [t, i]));
  return windows.map(([from, to]): WindowBounds => {
    const start = index.get(normalizeTimestamp(from));
    const end = index.get(normalizeTimestamp(to));
    if (start === undefined || end === undefined || end < start) {
      throw new NabDataError(`${key}: window [${from}, ${to}] does not match rows of the data file`, { key, from, to });
    }
    return { start, end };
  });
}

/** Loads every series named in labels/combined_windows.json, in the file's order. */
export async function loadNabCorpus(root: string): Promise<NabCorpus> {
  const parsed = windowsSchema.safeParse(await readJson(join(root, 'labels', 'combined_windows.json')));
  if (!parsed.success) throw new NabDataError(`labels/combined_windows.json: ${parsed.error.message}`);
  const series: NabSeries[] = [];
  let windowCount = 0;
  for (const [key, windows] of Object.entries(parsed.data)) {
    const [category, file] = key.split('/');
    if (category === undefined || file === undefined) throw new NabDataError(`bad series key ${key}`, { key });
    const { timestamps, values } = await loadSeriesValues(join(root, 'data', key));
    series.push({
      key,
      category,
      name: file.replace(/\.csv$/, ''),
      timestamps,
      values,
      windows: windowsToBounds(key, timestamps, windows),
    });
    windowCount += windows.length;
  }
  return { root, series, windowCount };
}

/** Reads the anomaly_score column of a NAB results file, aligned with the series' rows. */
export async function loadResultScores(path: string, series: NabSeries): Promise<number[]> {
  const table = parseCsv(await readFile(path, 'utf8'), path);
  const si = columnIndex(table, 'anomaly_score', path);
  const ti = columnIndex(table, 'timestamp', path);
  if (table.rows.length !== series.timestamps.length) {
    throw new NabDataError(`${path}: ${table.rows.length} rows, data file has ${series.timestamps.length}`, { path });
  }
  return table.rows.map((r, i) => {
    if (normalizeTimestamp(r[ti] as string) !== series.timestamps[i]) {
      throw new NabDataError(`${path}:${i + 2}: timestamp ${r[ti]} does not match the data file`, { path, row: i + 2 });
    }
    return parseNumber(r[si], path);
  });
}

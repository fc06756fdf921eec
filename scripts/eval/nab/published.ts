/**
 * NAB's published results: the normalised scoreboard (results/final_results.json),
 * the optimised thresholds (config/thresholds.json) and the per-file score
 * tables (results/<det>/<det>_<profile>_scores.csv).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PROFILE_NAMES, type ProfileName } from './corpus.ts';
import { columnIndex, parseCsv, parseNumber } from './csv.ts';
import { NabDataError } from './errors.ts';

export type ProfileScores = Readonly<Record<ProfileName, number>>;

const profileNumbers = z.object({ standard: z.number(), reward_low_FP_rate: z.number(), reward_low_FN_rate: z.number() });
const scoreboardSchema = z.record(z.string(), profileNumbers);
const thresholdsSchema = z.record(
  z.string(),
  z.object({
    standard: z.object({ threshold: z.number() }),
    reward_low_FP_rate: z.object({ threshold: z.number() }),
    reward_low_FN_rate: z.object({ threshold: z.number() }),
  }),
);

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new NabDataError(`cannot read JSON ${path}`, { path, cause: String(error) });
  }
}

/** Normalised published scores per detector (final_results.json). */
export async function loadScoreboard(root: string): Promise<Map<string, ProfileScores>> {
  const path = join(root, 'results', 'final_results.json');
  const parsed = scoreboardSchema.safeParse(await readJson(path));
  if (!parsed.success) throw new NabDataError(`${path}: ${parsed.error.message}`);
  return new Map(Object.entries(parsed.data));
}

/** Optimised thresholds per detector and profile (thresholds.json; its "score" fields are stale, see NAB_SCORING.md). */
export async function loadPublishedThresholds(root: string): Promise<Map<string, ProfileScores>> {
  const path = join(root, 'config', 'thresholds.json');
  const parsed = thresholdsSchema.safeParse(await readJson(path));
  if (!parsed.success) throw new NabDataError(`${path}: ${parsed.error.message}`);
  return new Map(
    Object.entries(parsed.data).map(([det, t]) => [
      det,
      Object.fromEntries(PROFILE_NAMES.map((p) => [p, t[p].threshold])) as Record<ProfileName, number>,
    ]),
  );
}

export interface PublishedFileScore {
  readonly file: string;
  readonly threshold: number;
  readonly score: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
}

export interface PublishedScoreTable {
  readonly files: readonly PublishedFileScore[];
  /** The `Totals` row: the detector's raw corpus score. */
  readonly totals: Omit<PublishedFileScore, 'file' | 'threshold'>;
}

/** Reads results/<det>/<det>_<profile>_scores.csv. */
export async function loadPublishedScoreTable(
  root: string,
  detector: string,
  profile: ProfileName,
): Promise<PublishedScoreTable> {
  const path = join(root, 'results', detector, `${detector}_${profile}_scores.csv`);
  const table = parseCsv(await readFile(path, 'utf8'), path);
  const col = (name: string): number => columnIndex(table, name, path);
  const [fi, ti, si, tpi, tni, fpi, fni] = ['File', 'Threshold', 'Score', 'TP', 'TN', 'FP', 'FN'].map(col) as number[];
  const files: PublishedFileScore[] = [];
  let totals: PublishedScoreTable['totals'] | undefined;
  for (const r of table.rows) {
    const counts = {
      score: parseNumber(r[si as number], path),
      tp: parseNumber(r[tpi as number], path),
      tn: parseNumber(r[tni as number], path),
      fp: parseNumber(r[fpi as number], path),
      fn: parseNumber(r[fni as number], path),
    };
    if (r[0] === 'Totals') totals = counts;
    else files.push({ file: r[fi as number] as string, threshold: parseNumber(r[ti as number], path), ...counts });
  }
  if (totals === undefined) throw new NabDataError(`${path}: no Totals row`, { path });
  return { files, totals };
}

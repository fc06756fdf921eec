import { DAY_MS, isoDay, parseIsoDay } from '../../core/time.ts';
import { DEFAULT_WINDOWING } from '../aggregates/windowing.ts';
import { RecomputeDayOpenError, RecomputeRangeError } from './errors.ts';

/** Start of `value`'s day in epoch ms; RecomputeRangeError naming `flag` when it is not an existing `YYYY-MM-DD`. */
function parseDay(value: string, flag: string): number {
  const ms = parseIsoDay(value);
  if (ms === undefined) {
    throw new RecomputeRangeError(`${flag} must be an existing day as YYYY-MM-DD, got ${JSON.stringify(value)}`, {
      [flag]: value,
    });
  }
  return ms;
}

/** The days of an inclusive range, validated: well-formed, ordered, every day closed at `nowMs`. */
export function recomputeDays(
  fromDate: string,
  toDate: string,
  nowMs: number,
  graceMs: number = DEFAULT_WINDOWING.graceMs,
): string[] {
  const from = parseDay(fromDate, '--from-date');
  const to = parseDay(toDate, '--to-date');
  if (from > to) throw new RecomputeRangeError(`--from-date ${fromDate} is after --to-date ${toDate}`, { fromDate, toDate });
  const closesAt = to + DAY_MS + graceMs;
  if (closesAt > nowMs) throw new RecomputeDayOpenError(toDate, closesAt);
  const days: string[] = [];
  for (let ms = from; ms <= to; ms += DAY_MS) days.push(isoDay(ms));
  return days;
}

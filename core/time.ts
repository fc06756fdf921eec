/**
 * UTC calendar arithmetic shared by every layer. Days are UTC days: the marts' windows, the ClickHouse `Date`
 * columns and the GraphQL `Date` scalar all use them. Epoch days are whole days since 1970-01-01.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of the UTC day holding `ms` (epoch milliseconds). */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` of an epoch day. */
export function isoDayOfEpochDay(epochDay: number): string {
  return isoDay(epochDay * DAY_MS);
}

/** `YYYY-MM-DDTHH` of the UTC hour holding `ms`. */
export function isoHour(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** Start of the UTC day holding `ms`. */
export function dayStartMs(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Epoch day of `ms`. */
export function epochDayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/**
 * Epoch milliseconds of a `YYYY-MM-DD` day's start, or `undefined` when the text is not a real calendar day
 * (`2025-02-30` is refused, not rolled over to March).
 */
export function parseIsoDay(value: string): number | undefined {
  if (!ISO_DAY.test(value)) return undefined;
  const ms = isoDayStartMs(value);
  return Number.isFinite(ms) && isoDay(ms) === value ? ms : undefined;
}

/**
 * Epoch milliseconds of the start of `day`, a `YYYY-MM-DD` the caller already knows is valid (NaN otherwise, as
 * `Date.parse`); {@link parseIsoDay} checks text from outside.
 */
export function isoDayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The ISO day `days` after (or before, when negative) `day`. `day` must be a valid `YYYY-MM-DD`. */
export function addDays(day: string, days: number): string {
  return isoDay(isoDayStartMs(day) + days * DAY_MS);
}

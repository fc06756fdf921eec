// Public surface of processors/recompute/: explicit re-exports only.
export {
  recompute,
  recomputeDays,
  type DayResult,
  type RecomputeParameters,
  type RecomputeProgress,
  type RecomputeResult,
  type TableResult,
} from './recompute.ts';
export { RecomputeDayOpenError, RecomputeRangeError } from './errors.ts';

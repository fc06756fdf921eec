/**
 * Parameters of the streaming detector, validated at the boundary (they come
 * from configuration). One parameter set serves every series: nothing here is
 * tuned per series.
 */
import { z } from 'zod';
import { AnomalyParameterError } from '../lib/errors.ts';
import { DAY_MS } from '../../../core/time.ts';

const positiveInt = z.number().int().positive();

export const streamingDetectorParamsSchema = z.object({
  /** Points of history each feature is ranked against (H). */
  historySize: positiveInt,
  /** History needed before a feature may score (points). */
  minHistory: positiveInt,
  /** Window of the local median for the local-deviation feature (w). */
  localWindow: positiveInt,
  /** Points averaged by the level-shift feature (k). */
  shiftSpan: positiveInt,
  /** Points before the current one whose median is the level-shift baseline. */
  shiftBaseline: positiveInt,
  seasonal: z.object({
    lagsMs: z.array(z.number().positive()).min(1),
    smoothing: positiveInt,
    gate: z.number().positive(),
    errorAlpha: z.number().gt(0).lte(1),
  }),
  /**
   * Record-break scale per feature (lib/record-surprise.ts): the break, relative to the history's range, that
   * scores 0.95. Larger for the local deviation, whose history is heavy-tailed on noisy series.
   */
  recordTau: z.object({
    value: z.number().positive(),
    local: z.number().positive(),
    shift: z.number().positive(),
    seasonal: z.number().positive(),
  }),
  /** Score at which a point counts as an alarm and starts the suppression. */
  alarmLevel: z.number().gt(0).lte(1),
  /** Points after an alarm of a feature whose scores of that feature are damped (one anomaly, one alarm per feature). */
  suppression: z.number().int().nonnegative(),
  /** Points after any alarm whose scores are damped (features alarming on the same event a few points apart). */
  mergeWindow: z.number().int().nonnegative(),
  /** Factor applied to scores during the suppression. */
  suppressionFactor: z.number().gte(0).lte(1),
});

export type StreamingDetectorParams = z.infer<typeof streamingDetectorParamsSchema>;

/** The parameter set evaluated on NAB (docs/anomaly-detection.md). Points, not time, except the seasons. */
export const DEFAULT_STREAMING_PARAMS: StreamingDetectorParams = {
  historySize: 4000,
  minHistory: 150,
  localWindow: 30,
  shiftSpan: 20,
  shiftBaseline: 200,
  seasonal: { lagsMs: [DAY_MS, 7 * DAY_MS], smoothing: 24, gate: 0.6, errorAlpha: 0.01 },
  recordTau: { value: 0.07, local: 0.3, shift: 0.05, seasonal: 0.05 },
  alarmLevel: 0.9,
  suppression: 30,
  mergeWindow: 7,
  suppressionFactor: 0.5,
};

export function parseStreamingParams(input: unknown): StreamingDetectorParams {
  const parsed = streamingDetectorParamsSchema.safeParse(input);
  if (!parsed.success) {
    throw new AnomalyParameterError(`invalid streaming detector parameters: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** Runs the Oracul streaming detector over NAB series, one point at a time, as it runs in the stream. */
import { DEFAULT_STREAMING_PARAMS, type StreamingDetectorParams } from '../../../processors/anomalies/detector/params.ts';
import {
  createStreamingDetectorState,
  scoreNextPoint,
  type DetectorFeature,
} from '../../../processors/anomalies/detector/streaming-detector.ts';
import type { NabSeries } from './corpus.ts';
import { NabDataError } from './errors.ts';
import type { DetectorRun } from './score-corpus.ts';

/** NAB timestamps ("2014-04-01 00:05:00") carry no zone; read them as UTC so day/week lags are exact. */
export function parseNabTimestamp(ts: string): number {
  const ms = Date.parse(`${ts.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new NabDataError(`bad timestamp ${ts}`, { ts });
  return ms;
}

export interface StreamingRun extends DetectorRun {
  /** Feature behind each row's score (null while warming up). */
  readonly features: readonly (DetectorFeature | null)[];
}

export function runStreamingDetector(
  series: NabSeries,
  params: StreamingDetectorParams = DEFAULT_STREAMING_PARAMS,
): StreamingRun {
  const state = createStreamingDetectorState(params);
  const scores = new Float64Array(series.values.length);
  const features: (DetectorFeature | null)[] = [];
  series.values.forEach((x, i) => {
    const out = scoreNextPoint(state, params, x, parseNabTimestamp(series.timestamps[i] as string));
    scores[i] = out.score;
    features.push(out.feature);
  });
  return { series, scores, features };
}

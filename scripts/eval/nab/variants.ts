/**
 * One-at-a-time perturbations of the default parameters: the sensitivity
 * study and the candidate set of the leave-half-out parameter selection.
 */
import { DEFAULT_STREAMING_PARAMS as D, type StreamingDetectorParams } from '../../../processors/anomalies/detector/params.ts';

export interface ParamVariant {
  readonly name: string;
  readonly params: StreamingDetectorParams;
}

const seasonal = (patch: Partial<StreamingDetectorParams['seasonal']>): Pick<StreamingDetectorParams, 'seasonal'> => ({
  seasonal: { ...D.seasonal, ...patch },
});

const tau = (patch: Partial<StreamingDetectorParams['recordTau']>): Pick<StreamingDetectorParams, 'recordTau'> => ({
  recordTau: { ...D.recordTau, ...patch },
});

export const PARAM_VARIANTS: readonly ParamVariant[] = [
  { name: 'default', params: D },
  ...(
    [
      ['historySize=3000', { historySize: 3000 }],
      ['historySize=5000', { historySize: 5000 }],
      ['minHistory=100', { minHistory: 100 }],
      ['minHistory=250', { minHistory: 250 }],
      ['localWindow=20', { localWindow: 20 }],
      ['localWindow=40', { localWindow: 40 }],
      ['shiftSpan=15', { shiftSpan: 15 }],
      ['shiftSpan=30', { shiftSpan: 30 }],
      ['shiftBaseline=150', { shiftBaseline: 150 }],
      ['shiftBaseline=300', { shiftBaseline: 300 }],
      ['seasonal.smoothing=12', seasonal({ smoothing: 12 })],
      ['seasonal.smoothing=48', seasonal({ smoothing: 48 })],
      ['seasonal.gate=0.5', seasonal({ gate: 0.5 })],
      ['seasonal.gate=0.7', seasonal({ gate: 0.7 })],
      ['recordTau.local=0.2', tau({ local: 0.2 })],
      ['recordTau.local=0.4', tau({ local: 0.4 })],
      ['recordTau.value=0.05', tau({ value: 0.05 })],
      ['recordTau.value=0.1', tau({ value: 0.1 })],
      ['suppression=20', { suppression: 20 }],
      ['suppression=40', { suppression: 40 }],
      ['mergeWindow=3', { mergeWindow: 3 }],
      ['mergeWindow=15', { mergeWindow: 15 }],
    ] as const
  ).map(([name, patch]) => ({ name, params: { ...D, ...patch } })),
];

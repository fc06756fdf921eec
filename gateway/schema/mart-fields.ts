// Field declarations that the daily mart types (TokenMetricsDaily, AddressFlowDaily) share word for word.

/** The `emittedAt` field of a versioned mart row: the stream time of its version. */
export const emittedAtField = {
  type: 'DateTime',
  description: 'Stream time when this version was emitted.',
  resolve: (r: { emitted_at: string }) => r.emitted_at,
} as const;

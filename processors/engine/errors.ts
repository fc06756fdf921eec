import { NonRetryableError } from '../../core/errors.ts';

/** A processor read or wrote a store it did not declare: a wiring bug, caught before any state is touched. */
export class UnknownStoreError extends NonRetryableError {
  override readonly name = 'UnknownStoreError';
  constructor(processor: string, store: string) {
    super('ORACUL_UNKNOWN_STATE_STORE', `processor ${processor} used undeclared state store ${store}`, {
      details: { processor, store },
    });
  }
}

/** A processor produced to a topic it did not declare: a wiring bug. */
export class UndeclaredOutputTopicError extends NonRetryableError {
  override readonly name = 'UndeclaredOutputTopicError';
  constructor(processor: string, topic: string) {
    super('ORACUL_UNDECLARED_OUTPUT_TOPIC', `processor ${processor} produced to undeclared topic ${topic}`, {
      details: { processor, topic },
    });
  }
}

/** A state value that does not survive encode → JSON → decode, or a persisted value of the wrong shape. */
export class StateSerdeError extends NonRetryableError {
  override readonly name = 'StateSerdeError';
  constructor(store: string, key: string, message: string, options: { cause?: unknown } = {}) {
    super('ORACUL_STATE_SERDE', `state store ${store}, key ${key}: ${message}`, { ...options, details: { store, key } });
  }
}

/** A key that would break the store's key layout (e.g. contains the separator). */
export class StateKeyError extends NonRetryableError {
  override readonly name = 'StateKeyError';
  constructor(key: string, message: string) {
    super('ORACUL_STATE_KEY', `invalid state key ${JSON.stringify(key.slice(0, 120))}: ${message}`, { details: { key } });
  }
}

/** A topology that cannot run as declared (a duplicate or malformed stage name, an unknown topic, a stage out of order). */
export class TopologyError extends NonRetryableError {
  override readonly name = 'TopologyError';
  constructor(stage: string, message: string) {
    super('ORACUL_TOPOLOGY_INVALID', `topology stage ${stage}: ${message}`, { details: { stage } });
  }
}

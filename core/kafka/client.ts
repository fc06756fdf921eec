import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { OraculConfig } from '../../config/schema.ts';
import type { Logger } from '../logger.ts';

/**
 * Broker answers kafkajs logs at error level although it retries them and they are part of normal operation: a
 * transaction begun right after the previous commit gets CONCURRENT_TRANSACTIONS until the coordinator has written
 * its markers (a few ms). A failure that outlasts the retries still reaches the caller as an error.
 */
const EXPECTED_RETRIED_ERRORS = [/another concurrent operation on the same transaction/];

/** kafkajs logs through our pino logger so broker events carry the same fields as the rest. */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const entry = { msg: message, kafka_namespace: extra.logger, ...extra };
      const expected = typeof extra.error === 'string' && EXPECTED_RETRIED_ERRORS.some((re) => re.test(extra.error as string));
      if (level === KafkaLogLevel.ERROR && expected) logger.debug(entry);
      else if (level === KafkaLogLevel.ERROR) logger.error(entry);
      else if (level === KafkaLogLevel.WARN) logger.warn(entry);
      else if (level === KafkaLogLevel.INFO) logger.debug(entry);
      else logger.trace(entry);
    };
}

export interface CreateKafkaParameters {
  config: Pick<OraculConfig, 'kafka'>;
  logger: Logger;
  /** Appended to the configured client id, e.g. `topics`, `sink-raw-blocks`. */
  clientSuffix?: string;
}

/** The one place kafkajs is constructed; everything else receives the instance or our ports. */
export function createKafka(params: CreateKafkaParameters): Kafka {
  const { kafka } = params.config;
  return new Kafka({
    clientId: params.clientSuffix ? `${kafka.clientId}-${params.clientSuffix}` : kafka.clientId,
    brokers: [...kafka.brokers],
    logLevel: KafkaLogLevel.INFO,
    logCreator: pinoLogCreator(params.logger.child({ component: 'kafka' })),
    retry: process.env.NODE_ENV === 'test' ? { retries: 3, initialRetryTime: 100 } : { retries: 8, initialRetryTime: 300 },
  });
}

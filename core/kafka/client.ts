import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry, type SASLOptions, type logCreator } from 'kafkajs';
import { ConfigError } from '../errors.ts';
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
  return new Kafka(kafkaClientOptions(params));
}

/** kafkajs constructor options, with TLS and SASL from `kafka.ssl` / `kafka.sasl` (files read once, here). */
export function kafkaClientOptions(params: CreateKafkaParameters): KafkaConfig {
  const { kafka } = params.config;
  return {
    clientId: params.clientSuffix ? `${kafka.clientId}-${params.clientSuffix}` : kafka.clientId,
    brokers: [...kafka.brokers],
    logLevel: KafkaLogLevel.INFO,
    logCreator: pinoLogCreator(params.logger.child({ component: 'kafka' })),
    retry: process.env.NODE_ENV === 'test' ? { retries: 3, initialRetryTime: 100 } : { retries: 8, initialRetryTime: 300 },
    ...(kafka.ssl.enabled ? { ssl: tlsOptions(kafka.ssl) } : {}),
    ...(kafka.sasl ? { sasl: saslOptions(kafka.sasl) } : {}),
  };
}

function saslOptions(sasl: NonNullable<OraculConfig['kafka']['sasl']>): SASLOptions {
  const { username, password } = sasl;
  // kafkajs types each mechanism separately; the switch keeps the union exact.
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

function tlsOptions(ssl: OraculConfig['kafka']['ssl']): ConnectionOptions {
  const read = (key: 'caFile' | 'certFile' | 'keyFile'): string | undefined => {
    const file = ssl[key];
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (cause) {
      throw new ConfigError(
        `invalid config at kafka.ssl.${key}: cannot read ${JSON.stringify(file)}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  };
  const [ca, cert, key] = [read('caFile'), read('certFile'), read('keyFile')];
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

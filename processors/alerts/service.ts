/**
 * The alert service: consumes `anomalies` and `dq.checks` (read_committed), feeds the alerter, checks consumer
 * lag on a timer, and delivers digests. Kafka offsets are committed after the alerter wrote the alert to its LMDB
 * queue, so a crash re-reads at most a few records, which dedup absorbs.
 */
import { isAbsolute, join } from 'node:path';
import type { Admin, Consumer } from 'kafkajs';
import { REPO_ROOT } from '../../config/load.ts';
import type { OraculConfig } from '../../config/schema.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { componentLogger, type Logger } from '../../core/logger.ts';
import type { Anomaly, DataQualityCheck } from '../../schemas/generated/types.ts';
import type { Serdes } from '../../schemas/serde.ts';
import { Alerter } from './alerter.ts';
import { consumerLagFindings } from './pipeline.ts';
import { createAlertSink } from './sinks.ts';
import type { AlertSink } from './types.ts';

export const ALERT_INPUT_TOPICS = ['anomalies', 'dq.checks'] as const;

export interface AlertServiceParameters {
  readonly config: OraculConfig;
  readonly logger: Logger;
  readonly serdes: Serdes;
  /** Default: from config (Slack). */
  readonly sink?: AlertSink;
  /** Default '<kafka.clientId>-alerts'. */
  readonly groupId?: string;
  /** Input topics (default both); a deployment that only wants one kind of alert can narrow it. */
  readonly topics?: readonly (typeof ALERT_INPUT_TOPICS)[number][];
  /** Consumer groups whose lag is watched (default: every group). */
  readonly lagGroups?: readonly string[];
}

export interface AlertService {
  readonly alerter: Alerter;
  stop(): Promise<void>;
}

export async function startAlertService(p: AlertServiceParameters): Promise<AlertService> {
  const log = componentLogger(p.logger, 'alerts');
  const a = p.config.alerts;
  const sink = p.sink ?? createAlertSink(p.config, log);
  const outboxDir = isAbsolute(a.outboxDir) ? a.outboxDir : join(REPO_ROOT, a.outboxDir);
  const alerter = new Alerter({
    sink,
    outboxDir,
    logger: log,
    minSeverity: a.minSeverity,
    digestIntervalMs: a.digestIntervalS * 1000,
    rateLimitPerMinute: a.rateLimitPerMinute,
    maxDetailedAlertsPerHour: a.maxDetailedAlertsPerHour,
    retryIntervalMs: a.outboxRetryIntervalS * 1000,
    links: { graphqlUrl: a.graphqlUrl, supersetUrl: a.supersetUrl },
  });
  const kafka = createKafka({ config: p.config, logger: log, clientSuffix: 'alerts' });
  const consumer: Consumer = kafka.consumer({
    groupId: p.groupId ?? `${p.config.kafka.clientId}-alerts`,
    readUncommitted: false,
  });
  const admin: Admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  await consumer.subscribe({ topics: [...(p.topics ?? ALERT_INPUT_TOPICS)], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (message.value === null) return;
      try {
        if (topic === 'anomalies')
          alerter.onAnomaly((await p.serdes.forTopic('anomalies').deserialize(message.value)) as Anomaly);
        else alerter.onDqCheck((await p.serdes.forTopic('dq.checks').deserialize(message.value)) as DataQualityCheck);
      } catch (error) {
        // An undecodable record cannot become an alert; it is logged with its position and skipped.
        log.error({ err: error, topic, partition, offset: message.offset }, 'alert input record skipped');
      }
    },
  });
  alerter.start();
  const lagTimer = setInterval(() => {
    consumerLagFindings(admin, a.consumerLagThreshold, p.lagGroups)
      .then((findings) => {
        for (const f of findings) alerter.onPipelineFinding(f);
      })
      .catch((error: unknown) => log.warn({ err: error }, 'consumer lag check failed'));
  }, a.digestIntervalS * 1000);
  lagTimer.unref();
  log.info({ sink: sink.name, topics: p.topics ?? ALERT_INPUT_TOPICS }, 'alert service started');
  return {
    alerter,
    async stop() {
      clearInterval(lagTimer);
      await consumer.disconnect();
      await admin.disconnect();
      await alerter.flush().catch((error: unknown) => log.warn({ err: error }, 'final alert flush failed'));
      await alerter.close();
    },
  };
}

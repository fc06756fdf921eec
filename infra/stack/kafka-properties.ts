/**
 * server.properties for a single-node KRaft broker+controller. Pure: the
 * supervisor writes the result to <stateDir>/kafka/server.properties on each start,
 * so config changes (ports, dirs) apply on the next `stack up` without a reinstall.
 */
export interface KafkaPropertiesParameters {
  host: string;
  port: number;
  controllerPort: number;
  /** Absolute path of the partition data (log.dirs). */
  dataDir: string;
}

export function kafkaServerProperties(p: KafkaPropertiesParameters): Record<string, string> {
  return {
    // Combined mode: one JVM is both the KRaft controller and the broker.
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${p.host}:${p.controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    listeners: `PLAINTEXT://${p.host}:${p.port},CONTROLLER://${p.host}:${p.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${p.host}:${p.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': p.dataDir,
    'num.partitions': '1',
    // One broker: internal topics must not ask for 3 replicas, or group coordination
    // and transactions never become available.
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'min.insync.replicas': '1',
    // 50 coordinator partitions (the default) only spread load across brokers; on one local
    // broker they cost ~8 s of creating and loading on a 2-core machine before the first
    // consumer group or transaction can start.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.num.partitions': '4',
    // Consumers in tests and local runs join at once instead of waiting 3 s.
    'group.initial.rebalance.delay.ms': '0',
    // Topics are declared (config/kafka.yml) and created by `oracul topics ensure`: a client asking for metadata
    // of a missing or just-deleted topic must not recreate it with one partition and default configs.
    'auto.create.topics.enable': 'false',
  };
}

/** Java .properties text; keys in insertion order, values escaped per java.util.Properties. */
export function renderProperties(props: Record<string, string>, header?: string): string {
  const lines = header ? header.split('\n').map((l) => `# ${l}`) : [];
  for (const [key, value] of Object.entries(props)) lines.push(`${escapeProperty(key, true)}=${escapeProperty(value, false)}`);
  return `${lines.join('\n')}\n`;
}

function escapeProperty(text: string, isKey: boolean): string {
  let out = '';
  for (const [i, ch] of [...text].entries()) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === ' ' && (isKey || i === 0)) out += '\\ ';
    else if (isKey && (ch === '=' || ch === ':' || ch === '#' || ch === '!')) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

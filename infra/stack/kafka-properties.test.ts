import { describe, expect, it } from 'vitest';
import { kafkaServerProperties, renderProperties } from './kafka-properties.ts';

describe('kafkaServerProperties', () => {
  const props = kafkaServerProperties({ host: '127.0.0.1', port: 19092, controllerPort: 19093, dataDir: '/s/kafka/data' });

  it('configures a single-node KRaft broker+controller', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['node.id']).toBe('1');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props['controller.listener.names']).toBe('CONTROLLER');
    expect(props['log.dirs']).toBe('/s/kafka/data');
  });

  it('binds and advertises loopback only', () => {
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
  });

  it('lets internal topics and transactions work on one broker', () => {
    expect(props).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'false',
      'offsets.topic.num.partitions': '4',
      'transaction.state.log.num.partitions': '4',
    });
  });
});

describe('renderProperties', () => {
  it('renders key=value lines with a comment header', () => {
    expect(renderProperties({ 'a.b': 'c', d: '1' }, 'line one\nline two')).toBe('# line one\n# line two\na.b=c\nd=1\n');
  });

  it('escapes what java.util.Properties would misread', () => {
    expect(renderProperties({ 'k=x': ' lead', path: 'C:\\dir', multi: 'a\nb' })).toBe(
      'k\\=x=\\ lead\npath=C:\\\\dir\nmulti=a\\nb\n',
    );
  });
});

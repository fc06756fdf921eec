import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pinoLogCreator } from './client.ts';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('kafkajs log bridge', () => {
  const entry = (error: string) => ({
    namespace: 'Connection',
    level: logLevel.ERROR,
    label: 'ERROR',
    log: { timestamp: '', logger: 'kafkajs', message: 'Response AddPartitionsToTxn(key: 24, version: 1)', error },
  });

  it('logs broker errors at error level, but the transaction race kafkajs retries at debug', async () => {
    const { lines, logger } = capture();
    const log = pinoLogCreator(logger)(logLevel.INFO);
    log(
      entry(
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      ),
    );
    log(entry('The broker received an out of order sequence number'));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.level)).toEqual([20, 50]);
  });
});

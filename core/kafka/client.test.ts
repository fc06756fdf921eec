import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { createKafka, kafkaClientOptions, pinoLogCreator } from './client.ts';

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

describe('kafkajs client options', () => {
  const logger = pino({ level: 'silent' });
  const kafkaConfig = (env: Record<string, string>) => loadConfig({ dir: mkdtempSync(join(tmpdir(), 'oracul-kafka-')), env });

  it('passes SASL and TLS settings from the config to the kafkajs constructor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-kafka-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const options = kafkaClientOptions({
      config: kafkaConfig({
        ORACUL_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        ORACUL_KAFKA_SASL_USERNAME: 'oracul',
        ORACUL_KAFKA_SASL_PASSWORD: 'pw',
        ORACUL_KAFKA_SSL_ENABLED: 'true',
        ORACUL_KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
      }),
      logger,
      clientSuffix: 'x',
    });
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'oracul', password: 'pw' });
    expect(options.ssl).toEqual({ rejectUnauthorized: true, ca: ['CA PEM'] });
    expect(options.clientId).toBe('oracul-x');
  });

  it('leaves TLS and SASL off by default, and names an unreadable TLS file', () => {
    const options = kafkaClientOptions({ config: kafkaConfig({}), logger });
    expect(options.ssl).toBeUndefined();
    expect(options.sasl).toBeUndefined();
    const config = kafkaConfig({ ORACUL_KAFKA_SSL_ENABLED: 'true', ORACUL_KAFKA_SSL_CERT_FILE: '/nonexistent/cert.pem' });
    expect(() => createKafka({ config, logger })).toThrowError(/invalid config at kafka\.ssl\.certFile: cannot read/);
  });

  it.skipIf(!hasOpenssl())('connects over mutual TLS with the configured CA, certificate and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oracul-kafka-mtls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    );
    const pem = { key: readFileSync(key), cert: readFileSync(cert) };
    // A TLS listener that requires a client certificate signed by the same CA: a handshake proves all three files reached kafkajs.
    const handshakes: boolean[] = [];
    const server = createTlsServer({ ...pem, ca: [pem.cert], requestCert: true, rejectUnauthorized: true }, (socket) => {
      handshakes.push(socket.authorized);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const admin = createKafka({
      config: kafkaConfig({
        ORACUL_KAFKA_BROKERS: `127.0.0.1:${port}`,
        ORACUL_STACK_KAFKA_ENABLED: 'false',
        ORACUL_KAFKA_SSL_ENABLED: 'true',
        ORACUL_KAFKA_SSL_CA_FILE: cert,
        ORACUL_KAFKA_SSL_CERT_FILE: cert,
        ORACUL_KAFKA_SSL_KEY_FILE: key,
      }),
      logger,
    }).admin({ retry: { retries: 0 } });
    try {
      // Not a broker: the connection ends after the handshake, so connect fails; the handshake is what is checked.
      await admin.connect().catch(() => undefined);
      expect(handshakes[0]).toBe(true);
    } finally {
      await admin.disconnect();
      server.close();
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../core/errors.ts';
import { createSchemaRegistrySerdes } from './create-schema-registry-serdes.ts';
import type { DataQualityCheck } from './generated/types.ts';

/**
 * A minimal stand-in for the Confluent REST API (the endpoints the client uses),
 * so the real @kafkajs/confluent-schema-registry client is exercised in a unit
 * test. The real registry is covered by create-schema-registry-serdes.it.test.ts.
 */
interface FakeRegistry {
  url: string;
  requests: string[];
  authorizations: (string | undefined)[];
  schemas: Map<number, string>;
  rejectRegistrationWith?: number;
  close(): Promise<void>;
}

async function startFakeRegistry(): Promise<FakeRegistry> {
  const schemas = new Map<number, string>();
  const ids = new Map<string, number>();
  const fake: Partial<FakeRegistry> = { requests: [], authorizations: [], schemas };
  const body = async (req: IncomingMessage): Promise<string> => {
    let data = '';
    for await (const chunk of req) data += String(chunk);
    return data;
  };
  const server: Server = createServer(async (req, res) => {
    fake.requests!.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
    const url = decodeURIComponent(req.url ?? '').replace(/^\/apis\/ccompat\/v7/, '');
    fake.authorizations!.push(req.headers.authorization);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(payload));
    };
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && /^\/config\//.test(url)) return send(404, { error_code: 40401, message: 'Subject not found' });
    if (req.method === 'PUT' && /^\/config\//.test(url)) return send(200, JSON.parse(await body(req)));
    if (req.method === 'POST' && (m = /^\/subjects\/([^/]+)\/versions$/.exec(url))) {
      const { schema } = JSON.parse(await body(req)) as { schema: string };
      if (fake.rejectRegistrationWith)
        return send(fake.rejectRegistrationWith, {
          error_code: fake.rejectRegistrationWith,
          message: 'Schema being registered is incompatible',
        });
      let id = ids.get(schema);
      if (id === undefined) {
        id = ids.size + 100;
        ids.set(schema, id);
        schemas.set(id, schema);
      }
      return send(200, { id });
    }
    if (req.method === 'GET' && (m = /^\/schemas\/ids\/(\d+)$/.exec(url))) {
      const schema = schemas.get(Number(m[1]));
      return schema ? send(200, { schema }) : send(404, { error_code: 40403, message: 'Schema not found' });
    }
    return send(404, { error_code: 404, message: 'no route' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake as FakeRegistry;
}

const kafka = (url: string, auth: { schemaRegistryUsername?: string; schemaRegistryPassword?: string } = {}) => ({
  kafka: { brokers: ['127.0.0.1:9092'], clientId: 'oracul', schemaRegistryUrl: url, topics: [], ...auth },
});

const check: DataQualityCheck = {
  check_name: 'freshness',
  chain_id: 1,
  subject: '',
  status: 'fail',
  observed: 42.5,
  threshold: 10,
  check_window: 'PT1H',
  checked_at: 1_700_000_000_000,
  details: '{"head":19000000}',
};

describe('createSchemaRegistrySerdes', () => {
  let registry: FakeRegistry;
  beforeAll(async () => {
    registry = await startFakeRegistry();
  });
  afterAll(() => registry.close());

  it('registers under <topic>-value with basic auth, writes magic byte + schema id, reads back', async () => {
    const serdes = createSchemaRegistrySerdes({
      config: kafka(registry.url, { schemaRegistryUsername: 'u', schemaRegistryPassword: 'p' }),
    });
    const serde = serdes.forTopic('dq.checks');
    const bytes = await serde.serialize(check);
    expect(bytes[0]).toBe(0);
    const id = bytes.readInt32BE(1);
    expect(JSON.parse(registry.schemas.get(id)!)).toEqual(serde.schema);
    expect(registry.requests).toContain('POST /apis/ccompat/v7/subjects/dq.checks-value/versions');
    expect(registry.authorizations.at(-1)).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);

    // A fresh client (another process) resolves the id through the registry.
    const reader = createSchemaRegistrySerdes({ config: kafka(registry.url) }).forTopic('dq.checks');
    expect(await reader.deserialize(bytes)).toEqual(check);
    expect(registry.requests).toContain(`GET /apis/ccompat/v7/schemas/ids/${id}`);
  });

  it('reports an unknown schema id as ORACUL_DESERIALIZE_FAILED (a poison record, not an outage)', async () => {
    const serde = createSchemaRegistrySerdes({ config: kafka(registry.url) }).forTopic('dq.checks');
    await expect(serde.deserialize(Buffer.from([0, 0, 0, 0x7f, 0, 2]))).rejects.toMatchObject({
      code: 'ORACUL_DESERIALIZE_FAILED',
      retryable: false,
    });
  });

  it('reports a registration the registry refuses as incompatible as ORACUL_SCHEMA_INCOMPATIBLE', async () => {
    registry.rejectRegistrationWith = 409;
    try {
      const serde = createSchemaRegistrySerdes({ config: kafka(registry.url) }).forTopic('anomalies');
      await expect(serde.serialize({} as never)).rejects.toMatchObject({
        code: 'ORACUL_SCHEMA_INCOMPATIBLE',
        retryable: false,
        details: { subject: 'anomalies-value', status: 409 },
      });
    } finally {
      registry.rejectRegistrationWith = undefined;
    }
  });

  it('reports an unreachable registry as retryable ORACUL_SCHEMA_REGISTRY_UNAVAILABLE', async () => {
    const closed = await startFakeRegistry();
    await closed.close();
    const serde = createSchemaRegistrySerdes({ config: kafka(closed.url) }).forTopic('dq.checks');
    const error = await serde.serialize(check).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ORACUL_SCHEMA_REGISTRY_UNAVAILABLE' });
    expect(isRetryable(error)).toBe(true);
  });
});

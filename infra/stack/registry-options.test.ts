import { describe, expect, it } from 'vitest';
import { registryJavaRange, registrySystemProperties, toJvmFlags } from './registry-options.ts';

describe('registrySystemProperties', () => {
  const props = registrySystemProperties({
    host: '127.0.0.1',
    port: 18081,
    managementPort: 19001,
    databaseFile: '/s/registry/db/registry',
    workDir: '/s/registry/tmp',
  });

  it('binds both interfaces to loopback, management off 9000', () => {
    expect(props).toMatchObject({
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': '18081',
      'quarkus.management.host': '127.0.0.1',
      'quarkus.management.port': '19001',
    });
  });

  it('sets a global BACKWARD rule and a file-based H2 store', () => {
    expect(props['apicurio.rules.global.compatibility']).toBe('BACKWARD');
    expect(props['apicurio.datasource.url']).toBe('jdbc:h2:file:/s/registry/db/registry');
    expect(props['apicurio.storage.sql.kind']).toBe('h2');
  });

  it('renders -D flags', () => {
    expect(toJvmFlags({ a: '1', 'b.c': 'x y' })).toEqual(['-Da=1', '-Db.c=x y']);
  });
});

describe('registryJavaRange', () => {
  it('needs Java 21 from 3.1 on', () => {
    expect(registryJavaRange('3.0.9')).toEqual({ min: 17 });
    expect(registryJavaRange('3.3.3')).toEqual({ min: 21 });
  });
});

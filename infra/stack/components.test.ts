import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { parseComponentNames, selectComponents } from './components.ts';
import { stackPaths } from './paths.ts';

// No config files (a config dir that does not exist is an error now): defaults plus the overrides.
const emptyDir = mkdtempSync(join(tmpdir(), 'oracul-stack-config-'));
const config = (stack: Record<string, unknown> = {}) => loadConfig({ dir: emptyDir, env: {}, overrides: { stack } });

describe('parseComponentNames', () => {
  it('parses a comma list and rejects unknown names', () => {
    expect(parseComponentNames('kafka, registry')).toEqual(['kafka', 'registry']);
    expect(() => parseComponentNames('kafka,zookeeper')).toThrow(/unknown stack component "zookeeper"/);
  });
});

describe('selectComponents', () => {
  it('takes every enabled component in start order', () => {
    const c = config({ warehouse: { enabled: false } });
    expect(selectComponents(c, stackPaths(c)).map((s) => s.component.name)).toEqual(['kafka', 'registry']);
  });

  it('keeps disabled ones for down, and refuses to select a disabled one by name', () => {
    const c = config({ registry: { enabled: false } });
    expect(selectComponents(c, stackPaths(c), undefined, true).map((s) => s.component.name)).toEqual([
      'kafka',
      'registry',
      'warehouse',
    ]);
    expect(() => selectComponents(c, stackPaths(c), ['registry'])).toThrow(/disabled/);
  });

  it('marks named components explicit and gives each its configured ports', () => {
    const c = config({ kafka: { port: 19092, controllerPort: 19093 } });
    const [kafka] = selectComponents(c, stackPaths(c), ['kafka']);
    expect(kafka?.explicit).toBe(true);
    expect(kafka?.component.ports.map((p) => p.port)).toEqual([19092, 19093]);
  });

  it('refuses Kafka 4.x (kafkajs 2.2.4 is the client)', () => {
    const c = config({ kafka: { version: '4.0.0' } });
    expect(() => selectComponents(c, stackPaths(c), ['kafka'])).toThrow(/3\.x release/);
  });
});

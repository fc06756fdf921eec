import { describe, expect, it } from 'vitest';
import { WarehouseError } from './errors.ts';
import { SERVER_DEFAULT_SETTINGS, quoteIdentifier, quoteString, sessionPreamble, sessionSettings } from './settings.ts';

describe('sessionSettings', () => {
  it('starts from server defaults and lets the client override them', () => {
    const s = sessionSettings({
      role: 'writer',
      method: 'POST',
      clientSettings: { output_format_json_quote_64bit_integers: '0', max_threads: '1' },
    });
    expect(s.get('output_format_json_quote_64bit_integers')).toBe('0');
    expect(s.get('session_timezone')).toBe('UTC');
    expect(s.get('max_threads')).toBe('1');
    expect(s.has('readonly')).toBe(false);
    expect(SERVER_DEFAULT_SETTINGS.output_format_json_quote_64bit_integers).toBe('1');
  });

  it('pins readonly=1 last for the read-only user', () => {
    const s = sessionSettings({
      role: 'readonly',
      method: 'POST',
      clientSettings: { output_format_json_quote_64bit_integers: '1', date_time_input_format: 'best_effort', readonly: '1' },
      readonlyLimits: { max_execution_time: '60' },
    });
    expect([...s.keys()].slice(-2)).toEqual(['max_execution_time', 'readonly']);
    expect(s.get('readonly')).toBe('1');
    expect(s.get('date_time_input_format')).toBe('best_effort');
  });

  it('refuses every other setting of the read-only user, like a readonly=1 profile (READONLY, 164)', () => {
    for (const [name, value] of [
      ['max_execution_time', '0'],
      ['max_memory_usage', '0'],
      ['max_threads', '64'],
      ['format_template_row', '/etc/passwd'],
    ] as const) {
      const call = () => sessionSettings({ role: 'readonly', method: 'GET', clientSettings: { [name]: value } });
      expect(call).toThrow(`Cannot modify '${name}' setting in readonly mode`);
    }
  });

  it('refuses the writer settings that name host paths or endpoints (ACCESS_DENIED, 497) and takes the rest', () => {
    for (const name of ['format_template_row', 'Format_Schema', 'input_format_record_errors_file_path', 'output_format_schema']) {
      let caught: unknown;
      try {
        sessionSettings({ role: 'writer', user: 'oracul', method: 'POST', clientSettings: { [name]: '/etc/passwd' } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WarehouseError);
      expect([(caught as WarehouseError).clickhouseCode, (caught as WarehouseError).code]).toEqual([
        497,
        'ORACUL_WAREHOUSE_REFUSED',
      ]);
    }
    const s = sessionSettings({ role: 'writer', method: 'POST', clientSettings: { max_threads: '64' } });
    expect(s.get('max_threads')).toBe('64');
  });

  it('refuses a read-only user lifting readonly or allow_ddl (READONLY, 164)', () => {
    const attempts: Record<string, string>[] = [{ readonly: '0' }, { readonly: '2' }, { allow_ddl: '1' }];
    for (const clientSettings of attempts) {
      const call = () => sessionSettings({ role: 'readonly', method: 'POST', clientSettings });
      expect(call).toThrow(WarehouseError);
      try {
        call();
      } catch (error) {
        expect((error as WarehouseError).clickhouseCode).toBe(164);
      }
    }
  });

  it('makes GET read-only (readonly=2) unless the client asked for readonly=1', () => {
    expect(sessionSettings({ role: 'writer', method: 'GET', clientSettings: {} }).get('readonly')).toBe('2');
    expect(sessionSettings({ role: 'writer', method: 'GET', clientSettings: { readonly: '0' } }).get('readonly')).toBe('2');
    expect(sessionSettings({ role: 'writer', method: 'GET', clientSettings: { readonly: '1' } }).get('readonly')).toBe('1');
    expect(sessionSettings({ role: 'writer', method: 'POST', clientSettings: { readonly: '1' } }).get('readonly')).toBe('1');
  });

  it('rejects setting names that are not identifiers (UNKNOWN_SETTING, 115)', () => {
    expect(() => sessionSettings({ role: 'writer', method: 'POST', clientSettings: { 'a=1; DROP': 'x' } })).toThrow(
      /Unknown setting/,
    );
  });
});

describe('sessionPreamble', () => {
  it('quotes the database and every value', () => {
    const settings = new Map([
      ['max_threads', '2'],
      ['format_csv_delimiter', "'"],
    ]);
    expect(sessionPreamble('my`db', settings)).toBe("USE `my\\`db`; SET max_threads = '2', format_csv_delimiter = '\\''");
    expect(sessionPreamble(undefined, new Map())).toBe('');
  });

  it('escapes backslashes before quotes', () => {
    expect(quoteString("a\\' OR 1")).toBe("'a\\\\\\' OR 1'");
    expect(quoteIdentifier('a\\`b')).toBe('`a\\\\\\`b`');
  });
});

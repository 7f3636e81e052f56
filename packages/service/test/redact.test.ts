import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, url, urlProblem } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { redactDeep, redactText } from '../src/redact.ts';

const PG = ['postgres', 'postgresql'];

describe('redaction', () => {
  it('keeps the user of a URL and hides its password, wherever it sits in the text', () => {
    expect(redactText('at postgres://admin:hunter2@db:8812/qdb, then')).toBe(
      'at postgres://admin:***@db:8812/qdb, then',
    );
    expect(redactText('redis://:s3cret@r:6379')).toBe('redis://:***@r:6379');
    expect(redactText('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
  });

  it('redacts errors (message and stack) and secret-named keys in log objects', () => {
    const out = redactDeep({
      err: new Error('no route to postgres://a:pw1@h/db'),
      QDB_PG_PASSWORD: 'pw2',
      nested: { url: 'postgres://a:pw3@h/db' },
    });
    expect(JSON.stringify(out)).not.toMatch(/pw1|pw2|pw3/);
    expect((out as { err: Error }).err).toBeInstanceOf(Error);
  });

  it('copies errors whose class sets its own name and fields', () => {
    class RetriesError extends Error {
      readonly url = 'postgres://u:pw6@h/db';
      constructor(message: string) {
        super(message);
        this.name = 'RetriesError';
      }
    }
    const out = redactDeep({ err: new RetriesError('gave up') }) as { err: Error & { url: string } };
    expect(out.err.name).toBe('RetriesError');
    expect(out.err.url).toBe('postgres://u:***@h/db');
  });

  it('leaves no password in a line written by the logger', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('redact-test', sink);
    log.error({ err: new Error('postgres://u:pw4@h/db') }, 'cannot reach postgres://u:pw5@h/db');
    expect(lines.join('')).not.toMatch(/pw4|pw5/);
  });
});

describe('URL problems name the true reason', () => {
  it('blames the port when the port is bad, not the scheme', () => {
    expect(urlProblem('postgres://admin:pw@h:99999/qdb', PG)).toBe('port 99999 is out of range (0-65535)');
    expect(urlProblem('postgres://admin:pw@h:80a/qdb', PG)).toBe('port "80a" is not a number');
  });
  it('blames the scheme when the scheme is bad', () => {
    expect(urlProblem('mysql://admin:pw@h:8812/qdb', PG)).toBe(
      'expected a postgres or postgresql URL, not mysql://',
    );
    expect(urlProblem('admin:pw@h', PG)).toMatch(/expected a postgres or postgresql URL/);
  });
  it('blames a missing host', () => {
    expect(urlProblem('postgres://admin:pw@:8812/qdb', PG)).toMatch(/with a host name/);
  });
  it('accepts good URLs, IPv6 included', () => {
    expect(urlProblem('postgres://admin:pw@[::1]:8812/qdb', PG)).toBeUndefined();
    expect(urlProblem('postgresql://h/qdb', PG)).toBeUndefined();
  });

  it('a config error shows neither the password nor a wrong reason', () => {
    const schema = z.object({ QUESTDB_PG_URL: url('postgres://h/qdb', PG) });
    let error: unknown;
    try {
      loadConfig(schema, { QUESTDB_PG_URL: 'postgres://admin:hunter2@h:99999/qdb' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('hunter2');
    expect(message).toContain(
      'QUESTDB_PG_URL="postgres://admin:***@h:99999/qdb": port 99999 is out of range',
    );
    expect(message).not.toMatch(/expected a postgres/);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, parsedList, url } from '../src/config.ts';

const upper = (item: string) => {
  if (!/^[a-z]+$/.test(item)) throw new Error(`bad item "${item}"`);
  return item.toUpperCase();
};
const schema = z.object({ LIST: parsedList('a,b', upper), URL: url('http://x', ['http']) });

describe('loadConfig', () => {
  it('applies defaults and parses every list item, dropping duplicates', () => {
    expect(loadConfig(schema, {})).toEqual({ LIST: ['A', 'B'], URL: 'http://x' });
    expect(loadConfig(schema, { LIST: ' c, c ,d' }).LIST).toEqual(['C', 'D']);
  });

  it('reports every bad value by name in one error', () => {
    let error: unknown;
    try {
      loadConfig(schema, { LIST: 'ok,b4d', URL: 'ftp://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^LIST="ok,b4d": bad item "b4d"/);
    expect(problems[1]).toMatch(/^URL="ftp:\/\/x": expected a http URL/);
  });

  it('refuses an empty list', () => {
    expect(() => loadConfig(schema, { LIST: ' , ' })).toThrow(/LIST=" , ": must not be empty/);
  });
});

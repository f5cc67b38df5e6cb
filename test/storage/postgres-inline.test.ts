import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineParameters } from '../../src/storage/postgres/open-postgres.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/postgres.ts';

const enabled = await postgresAvailable();

/**
 * A tenant-scoped single statement shares one message with the tenant setting, so its values are
 * inlined as literals. Every value must come back from PostgreSQL exactly as it went in.
 */
describe.skipIf(!enabled)('inlined parameters on PostgreSQL', () => {
  let database: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.superuserUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const roundTrip = async (value: string) => {
    const sql = inlineParameters('SELECT ? AS value', [value], (text) => client.escapeLiteral(text));
    return (await client.query(sql)).rows[0].value as string;
  };

  it('returns any string unchanged: quotes, backslashes, dollar quotes, comments, unicode', async () => {
    for (const nasty of ["'", "\\'", "'; DROP TABLE x; --", '$$', "E'\\\\'", '/* */', '\n\r\t', 'é日本🙂', '\\']) {
      expect(await roundTrip(nasty)).toBe(nasty);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 64 }).filter((text) => !text.includes('\0')),
        async (value) => {
          expect(await roundTrip(value)).toBe(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes numbers, bigints and null as literals, and refuses a count mismatch or a non-finite number', async () => {
    const sql = inlineParameters(
      'SELECT ? AS a, ? AS b, ? AS c, ? AS d',
      [42, -7.5, 9_007_199_254_740_991n, null],
      (t) => client.escapeLiteral(t),
    );
    expect((await client.query(sql)).rows[0]).toEqual({ a: 42, b: '-7.5', c: '9007199254740991', d: null });
    const quote = (text: string) => client.escapeLiteral(text);
    expect(() => inlineParameters('SELECT ?', [], quote)).toThrow(/placeholders/);
    expect(() => inlineParameters('SELECT 1', [1], quote)).toThrow(/parameters/);
    expect(() => inlineParameters('SELECT ?', [Number.NaN], quote)).toThrow(/finite/);
  });
});

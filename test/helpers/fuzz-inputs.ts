import fc from 'fast-check';

/**
 * The hostile inputs the request fuzz test (`test/http/fuzz.property.test.ts`) draws from: wrong
 * types, NUL, unpaired surrogates, deep nesting, huge strings, prototype keys, odd content types,
 * and broken HTTP framing.
 */

/** Every byte of `text` percent-encoded except the unreserved ones (lone surrogates become U+FFFD). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Cursors that are well-formed base64url but decode to hostile positions. */
export const hostileCursors = ['a\u0000', '\ud800', '', -1, 2 ** 53, 1e300, 'x'.repeat(129), '__proto__'].map(
  (position) => Buffer.from(JSON.stringify({ p: position })).toString('base64url'),
);

const huge = fc.integer({ min: 10_000, max: 300_000 }).map((length) => 'x'.repeat(length));

/** Strings a client can send as JSON text. */
export const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  fc.constantFrom(
    '',
    'a\u0000b',
    '\u0000',
    'a\ud800b',
    '\udc00',
    '\ud83d\ude00',
    'tab\tnew\nline\r\u0007\u001b\u007f',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '../../etc/passwd',
    "' OR 1=1 --",
    '%00',
    '{{x}}',
    'en',
    'fr',
    'openai:gpt-4o',
    '1',
    '-1',
  ),
  { weight: 1, arbitrary: huge },
);

/** `depth` arrays or objects inside each other, around `inner`. */
export function nested(depth: number, kind: 'array' | 'object', inner = '1'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

/** Any JSON value, as JSON text, biased to the wrong type for whatever field it lands in. */
export const jsonValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: text.map((value) => JSON.stringify(value)) },
  fc.constantFrom(
    '0',
    '-1',
    '1e400',
    '-0',
    '9007199254740993',
    '1.5',
    'true',
    'false',
    'null',
    '[]',
    '{}',
    '[null]',
    '"\\ud800"',
    '"\\u0000"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"\\u0000":1}',
  ),
  fc
    .tuple(fc.integer({ min: 1, max: 60_000 }), fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>)
    .map(([depth, kind]) => nested(depth, kind)),
  fc.array(text, { maxLength: 5 }).map((values) => JSON.stringify(values)),
);

/** A JSON object with the operation's own fields (or some of them) set to hostile values, plus extra keys. */
export function jsonObject(fields: readonly string[]): fc.Arbitrary<string> {
  const keys = fc.constantFrom(
    ...fields,
    '__proto__',
    'constructor',
    'prototype',
    'tenant_id',
    'x',
    '\u0000',
    'a\ud800',
  );
  return fc
    .array(fc.tuple(fields.length > 0 ? fc.oneof(fc.constantFrom(...fields), keys) : keys, jsonValue), {
      maxLength: 6,
    })
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`);
}

/** A whole body as bytes on the wire: JSON objects, other JSON, broken JSON, deep nesting, bad UTF-8. */
export function body(fields: readonly string[]): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: jsonObject(fields) },
    { weight: 2, arbitrary: jsonValue },
    fc.constantFrom(
      '',
      '{',
      '{"a":}',
      '{"a":1,}',
      "{'a':1}",
      'NaN',
      '\ufeff{}',
      '{"a":1}{"b":2}',
      '{"__proto__":{"polluted":true},"__proto__":1}',
      'content=hello&tenant_id=x',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    ),
    fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
    fc
      .tuple(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
      )
      .map(([depth, kind]) => nested(depth, kind, '{"__proto__":{"x":1}}')),
    fc.integer({ min: 1_000_000, max: 1_200_000 }).map((length) => `{"content":"${'y'.repeat(length)}"}`),
  );
}

/** Mostly JSON, so that most bodies get past the parser to validation and the routes. */
export const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/problem+json',
    'application/vnd.api+json',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '*/*',
    'application/json, text/plain',
    'json',
    '',
  ),
);

/** A header value a client can put on the wire (latin1, no CR, LF or NUL). */
export const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((value) => value.replace(/[^\t\x20-\x7e]/g, '')),
  fc.constantFrom(
    '',
    ' ',
    'acme',
    'fuzz',
    'fuzz-other',
    '__proto__',
    'constructor',
    'é\u00ff',
    'a\tb',
    'x'.repeat(300),
  ),
);

/** Extra headers that reach our code: tenant, idempotency, request id, resume position, streaming. */
export const extraHeaders = fc.array(
  fc.tuple(fc.constantFrom('Tenant-ID', 'Idempotency-Key', 'X-Request-ID', 'Last-Event-ID', 'Accept'), headerValue),
  { maxLength: 3 },
);

/** Ways to break HTTP/1.1 framing on purpose; `ok` sends a well-framed request. */
export type Framing =
  | 'ok'
  | 'content-length-not-a-number'
  | 'content-length-twice'
  | 'content-length-and-chunked'
  | 'bad-chunk-size'
  | 'nul-in-header'
  | 'oversized-headers'
  | 'expect-bogus'
  | 'chunked-ok';

export const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('ok' as const) },
  { weight: 2, arbitrary: fc.constant('chunked-ok' as const) },
  fc.constantFrom<Framing>(
    'content-length-not-a-number',
    'content-length-twice',
    'content-length-and-chunked',
    'bad-chunk-size',
    'nul-in-header',
    'oversized-headers',
    'expect-bogus',
  ),
);

const VALID_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * The headers of a WebSocket upgrade, each left out, valid or hostile: the handshake `ws` checks
 * (Upgrade, Sec-WebSocket-Key, -Version, -Protocol) before a route could answer it.
 */
export const upgradeHeaders: fc.Arbitrary<Array<[string, string]>> = fc
  .record(
    {
      Upgrade: fc.oneof(
        { weight: 4, arbitrary: fc.constant('websocket') },
        fc.constantFrom('WebSocket', 'h2c', 'websocket, h2c', ''),
        headerValue,
      ),
      'Sec-WebSocket-Key': fc.oneof(
        { weight: 3, arbitrary: fc.constant(VALID_KEY) },
        fc.constantFrom(`${VALID_KEY}, ${VALID_KEY}`, 'AAAAAAAAAAAAAAAAAAAAAA=', `${VALID_KEY}=`, ''),
        headerValue,
      ),
      'Sec-WebSocket-Version': fc.oneof(
        { weight: 3, arbitrary: fc.constant('13') },
        fc.constantFrom('8', '0', '-1', '13, 13', '1e1', '', '013'),
        headerValue,
      ),
      'Sec-WebSocket-Protocol': fc.oneof(
        fc.constantFrom('enclave.v1', 'a, b', 'a,,b', 'a, a', ',', 'a b', '"a"', 'x'.repeat(3000)),
        headerValue,
      ),
    },
    { requiredKeys: [] },
  )
  .map((headers) => Object.entries(headers));

/** S3's conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since on reads, and the conditional writes (If-None-Match: *, If-Match). */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './s3-xml';

/** What a conditional read comes to: the object, 304 Not Modified, or 412 Precondition Failed. */
export type ReadCondition = 'proceed' | 'not-modified' | 'precondition-failed';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Whether an If-Match/If-None-Match list names this ETag (`*` names any). */
export function etagListMatches(list: string, etag: string): boolean {
  return list
    .split(',')
    .map((candidate) =>
      candidate
        .trim()
        .replace(/^W\//, '')
        .replace(/^"(.*)"$/, '$1'),
    )
    .some((candidate) => candidate === '*' || candidate === etag);
}

/** HTTP dates have whole seconds: an object modified within the second of the date counts as not after it. */
function modifiedAfter(modifiedMs: number, httpDate: string): boolean | undefined {
  const dateMs = Date.parse(httpDate);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.floor(modifiedMs / 1000) > Math.floor(dateMs / 1000);
}

/**
 * Evaluates a GET/HEAD's conditions as S3 does: If-Match decides over If-Unmodified-Since, If-None-Match over
 * If-Modified-Since; an unparsable date is ignored.
 */
export function readCondition(headers: IncomingHttpHeaders, etag: string, modifiedMs: number): ReadCondition {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifModifiedSince = header(headers, 'if-modified-since');
  const ifUnmodifiedSince = header(headers, 'if-unmodified-since');
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, etag)) return 'precondition-failed';
  } else if (ifUnmodifiedSince !== undefined && modifiedAfter(modifiedMs, ifUnmodifiedSince) === true)
    return 'precondition-failed';
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined && modifiedAfter(modifiedMs, ifModifiedSince) === false)
    return 'not-modified';
  return 'proceed';
}

function preconditionFailed(key: string, condition: string): S3Error {
  return new S3Error(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    412,
    key,
    {
      Condition: condition,
    },
  );
}

/**
 * Checks a conditional write (PutObject, CompleteMultipartUpload): `If-None-Match: *` fails when the key exists,
 * `If-Match` when it holds another ETag, and answers NoSuchKey when there is nothing to match; throws, changes nothing.
 */
export function checkWriteCondition(
  headers: IncomingHttpHeaders,
  key: string,
  existingEtag: string | undefined,
): void {
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifMatch = header(headers, 'if-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*')
      throw new S3Error('NotImplemented', 'If-None-Match on a write takes only *', 501, key);
    if (existingEtag !== undefined) throw preconditionFailed(key, 'If-None-Match');
  }
  if (ifMatch !== undefined) {
    if (existingEtag === undefined)
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, key, { Key: key });
    if (!etagListMatches(ifMatch, existingEtag)) throw preconditionFailed(key, 'If-Match');
  }
}

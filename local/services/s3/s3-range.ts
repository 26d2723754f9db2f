/** The HTTP Range header of a GetObject, read as S3 reads it: one byte range, or none. */

/** A satisfiable byte range, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a Range header asks of an object of `size` bytes: `undefined` when the header is absent or not one
 * syntactically valid byte range (S3 then answers the whole object, as RFC 9110 says), `'unsatisfiable'` when it
 * starts past the end (416 InvalidRange).
 */
export function requestedRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last N bytes (the whole object when N exceeds it).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Number(last);
  return { start, end: Math.min(end, size - 1) };
}

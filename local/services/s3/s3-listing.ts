/** One page of an S3 listing (objects or multipart uploads): prefix, delimiter roll-up into common prefixes, a marker, a page size. */

/** Where a page resumes: after a key, or after every key under a common prefix the previous page ended with. */
export type ListingMarker = { afterKey: string } | { afterPrefix: string };

/** A page: entries and common prefixes in key order (together at most `maxKeys`), and where the next page starts. */
export interface ListingPage<T> {
  entries: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last entry or common prefix on the page, when the page is truncated. */
  next?: ListingMarker;
}

/** Whether a key lies after a marker (keys under a common prefix already returned lie before it). */
export function isAfter(key: string, marker: ListingMarker | undefined): boolean {
  if (!marker) return true;
  if ('afterKey' in marker) return key > marker.afterKey;
  return key > marker.afterPrefix && !key.startsWith(marker.afterPrefix);
}

/**
 * Pages through `rows` (in key order, already under `prefix`): keys containing the delimiter after the prefix
 * count once, as their common prefix, where the first of them would be.
 */
export function listingPage<T>(
  rows: readonly T[],
  keyOf: (row: T) => string,
  options: { prefix: string; delimiter: string; marker?: ListingMarker; maxKeys: number },
): ListingPage<T> {
  const { prefix, delimiter, marker, maxKeys } = options;
  const entries: T[] = [];
  const commonPrefixes: string[] = [];
  let next: ListingMarker | undefined;
  for (const row of rows) {
    const key = keyOf(row);
    if (!isAfter(key, marker)) continue;
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const commonPrefix = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
    if (commonPrefix !== undefined && commonPrefixes.at(-1) === commonPrefix) continue;
    // MaxKeys 0 answers an empty page that is not truncated: there is no marker to resume from.
    if (entries.length + commonPrefixes.length >= maxKeys)
      return { entries, commonPrefixes, truncated: next !== undefined, next };
    if (commonPrefix !== undefined) {
      commonPrefixes.push(commonPrefix);
      next = { afterPrefix: commonPrefix };
    } else {
      entries.push(row);
      next = { afterKey: key };
    }
  }
  return { entries, commonPrefixes, truncated: false };
}

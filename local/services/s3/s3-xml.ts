/** S3's REST XML: escaping and rendering answers, and reading the few request documents S3 takes (Delete, CompleteMultipartUpload). */
import type { ServerResponse } from 'node:http';
import { AwsError } from '../../edge/aws-error';

/** An S3 error: its code, status, the resource it concerns and any extra elements AWS adds to the error document. */
export class S3Error extends AwsError {
  override readonly name = 'S3Error';

  constructor(
    code: string,
    message: string,
    statusCode: number,
    /** The bucket or key the error concerns (`<Resource>`). */
    readonly resource = '',
    /** Extra elements of the error document (InvalidRange's ActualObjectSize, InvalidPart's PartNumber). */
    readonly details: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, statusCode);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** MalformedXML, as S3 answers a request document it cannot read. */
export function malformedXml(cause?: unknown): S3Error {
  return new S3Error(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
    400,
    '',
    {},
    { cause },
  );
}

/** Escapes text for an XML element or attribute. */
export function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The text of an element's content, entities resolved; an unknown entity makes the document malformed. */
export function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);|&/g, (_whole, entity: string | undefined) => {
    if (entity === undefined) throw malformedXml();
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const named = namedEntities[entity];
    if (named === undefined) throw malformedXml();
    return named;
  });
}

/** The raw contents of every `<tag>…</tag>` directly findable in a document (S3's request documents do not nest a tag in itself). */
export function xmlElements(document: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>|<${tag}(?:\\s[^>]*)?/>`, 'g');
  return [...document.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** The text of the first `<tag>` in a fragment, or undefined when absent. */
export function xmlText(fragment: string, tag: string): string | undefined {
  const [first] = xmlElements(fragment, tag);
  return first === undefined ? undefined : xmlUnescape(first);
}

/** The root element's contents; MalformedXML when the body is not that document. */
export function xmlRoot(body: Buffer, root: string): string {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  const match = new RegExp(
    `^\\s*(?:<\\?xml[^>]*\\?>\\s*)?<${root}(?:\\s[^>]*)?>([\\s\\S]*)</${root}>\\s*$`,
  ).exec(text);
  if (!match) throw malformedXml();
  return match[1] ?? '';
}

/** Sends an XML answer with the request id header S3 sets. */
export function sendXml(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    'x-amz-request-id': crypto.randomUUID(),
    ...headers,
  });
  response.end(text);
}

/** S3's error document. */
export function errorXml(error: AwsError): string {
  const s3 = error instanceof S3Error ? error : undefined;
  const details = Object.entries(s3?.details ?? {})
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  return `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${details}<Resource>${xmlEscape(s3?.resource ?? '')}</Resource><RequestId>${crypto.randomUUID()}</RequestId></Error>`;
}
